"""Reporting's pure logic: periods, words, complaint histories, call measures, repeat contacts and surges."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from frontdoor_reporting.domain.complaints import case_history
from frontdoor_reporting.domain.measures import CallCentreRule, call_measures
from frontdoor_reporting.domain.periods import BadPeriod, parse_period
from frontdoor_reporting.domain.repeats import CustomerContact, RepeatRule, no_repeat_tallies, repeated_in
from frontdoor_reporting.domain.surges import SurgeRule, find_surges
from frontdoor_reporting.domain.words import Change


def test_council_years_run_april_to_march_and_know_the_year_before():
    year = parse_period("2009/10")
    assert (year.first, year.last, year.label) == (date(2009, 4, 1), date(2010, 3, 31), "2009/10")
    assert year.months[0] == "2009-04" and year.months[-1] == "2010-03" and len(year.months) == 12
    assert year.previous().label == "2008/09" and parse_period("2009/2010") == year
    assert parse_period("1999/00").last == date(2000, 3, 31)
    assert parse_period("2010").previous() == parse_period("2009")
    week = parse_period(first=date(2010, 1, 4), last=date(2010, 1, 10))
    assert (week.previous().first, week.previous().last) == (date(2009, 12, 28), date(2010, 1, 3))


@pytest.mark.parametrize(
    ("year", "first", "last", "says"),
    [
        ("2009/11", None, None, "must follow the first"),
        ("09/10", None, None, "expected a council year"),
        ("2009/10", date(2009, 4, 1), None, "not both"),
        (None, date(2010, 2, 1), date(2010, 1, 1), "after it ends"),
        (None, date(2010, 2, 1), None, "give a year"),
    ],
)
def test_bad_periods_say_what_was_wrong(year, first, last, says):
    with pytest.raises(BadPeriod, match=says):
        parse_period(year, first, last)


def test_changes_in_words():
    assert Change(1281, 1220).describe("2008/09") == "up 5% on 2008/09"
    assert Change(1220, 1000).describe() == "up 22% on the previous year"
    assert Change(90, 100).describe() == "down 10% on the previous year"
    assert Change(1001, 1000).describe() == "about the same as the previous year"
    assert Change(5, None).describe() == "no figure for the previous year to compare with"


def event(action, day, **fields):
    return {"action": action, "day": day, **fields}


def test_a_complaints_history_follows_its_stages_whatever_order_the_events_come_in():
    events = [
        event("responded", "2010-02-10", outcome="not_upheld"),
        event("logged", "2010-01-05", procedure="corporate", department="waste_recycling", category="delay"),
        event("escalated", "2010-01-25"),
        event("responded", "2010-01-20", outcome="upheld"),
        event("deadline_missed", "2010-02-09", deadline_name="respond", deadline_stage=2),
        event("referred_to_ombudsman", "2010-03-01"),
    ]
    case = case_history("c1", reversed(events))
    assert case.complaint and case.procedure == "corporate" and case.department == "waste_recycling"
    first, second = case.stages
    assert (first.number, first.received, first.responded, first.outcome) == (
        1,
        date(2010, 1, 5),
        date(2010, 1, 20),
        "upheld",
    )
    assert first.answered_in_time is True
    assert (second.number, second.received, second.outcome, second.answered_in_time) == (
        2,
        date(2010, 1, 25),
        "not_upheld",
        False,
    )
    assert case.ombudsman_referred == date(2010, 3, 1)


def test_a_complaint_reclassified_as_a_service_request_is_not_counted_until_it_comes_back():
    logged = event("logged", "2010-01-05", procedure="corporate")
    away = event("reclassified_as_service_request", "2010-01-06")
    assert not case_history("c", [logged, away]).complaint
    assert case_history("c", [logged, away, event("reclassified_as_complaint", "2010-01-09")]).complaint
    compliment = case_history("k", [event("compliment_recorded", "2010-01-05")])
    assert compliment.compliment_day == date(2010, 1, 5) and not compliment.complaint


def test_call_measures_follow_the_stated_conventions():
    calls = [
        {"answered_at": 1, "answer_wait_seconds": 10, "ended_at": 1, "talk_seconds": 200, "wrap_up_seconds": 100},
        {"answered_at": 1, "answer_wait_seconds": 30, "ended_at": 1, "talk_seconds": 100, "resolved_first_time": True},
        {"abandoned_at": 1, "abandon_wait_seconds": 3},  # a short abandon: left out
        {"abandoned_at": 1, "abandon_wait_seconds": 60},
    ]
    measures = call_measures(calls, CallCentreRule(service_level_seconds=20, short_abandon_seconds=5))
    assert (measures.offered, measures.counted, measures.answered) == (4, 3, 2)
    assert measures.service_level == 33.3 and measures.abandonment_rate == 33.3
    assert measures.average_speed_of_answer == 20.0 and measures.average_handle_time == 200.0
    assert measures.first_contact_resolution == 100.0


def test_a_surge_stands_far_above_its_own_usual_level():
    months = [f"2009-{m:02d}" for m in range(1, 13)] + ["2010-01", "2010-02"]
    usual = {m: 20 for m in months}
    waste = usual | {"2009-12": 150, "2010-01": 359}
    small = {m: 2 for m in months} | {"2010-01": 6}  # three times as many, but only 4 more
    surges = find_surges({"waste": waste, "parks": small, "steady": usual}, months, months[-3:], SurgeRule())
    assert [(s.subject, s.month, s.count, s.usual, s.rise) for s in surges] == [
        ("waste", "2009-12", 150, 20.0, 130),
        ("waste", "2010-01", 359, 20.0, 339),
    ]
    assert surges[1].times == 17.9


def test_months_before_any_figure_are_no_baseline():
    months = [f"2009-{m:02d}" for m in range(1, 13)]
    first_year = {m: 100 for m in months[3:]}  # figures begin in April
    assert find_surges({"waste": first_year}, months, months, SurgeRule()) == []


def test_a_period_with_nothing_recorded_still_makes_a_report():
    from frontdoor_reporting.domain.report import ReportData, build_report

    period = parse_period("2030/31")
    empty = ReportData(period, period.previous(), period.previous().previous(), [], [], [], [], [])
    report = build_report(empty)
    assert report.table("contacts_by_channel").rows[-1]["contacts"] == 0
    assert report.sections[0].headlines[0] == "0 contacts in 2030/31, no figure for 2029/30 to compare with."
    assert "No month stood out from its department's usual level." in report.sections[5].headlines
    assert len(report.tables) == 24


@pytest.mark.parametrize(
    ("year", "first", "last", "says"),
    [
        ("9999/00", None, None, "reports cover 1900 to 2999"),
        ("0001", None, None, "reports cover 1900 to 2999"),
        (None, date(1, 1, 1), date(1, 1, 2), "reports cover 1900 to 2999"),
        (None, date(1900, 1, 1), date(2999, 12, 31), "at most ten years"),
    ],
)
def test_periods_stay_where_the_years_before_them_are_still_dates(year, first, last, says):
    with pytest.raises(BadPeriod, match=says):
        parse_period(year, first, last)


def repeated_by_channel(histories, first: date, last: date, rule: RepeatRule) -> Counter:
    return Counter(channel for history in histories for channel in repeated_in(history, first, last, rule))


def test_a_contact_followed_within_the_window_by_the_same_customer_is_not_resolved_first_time():
    def at(day: int, hour: int = 9, channel: str = "web") -> CustomerContact:
        moment = datetime(2010, 1, day, hour, tzinfo=UTC)
        return CustomerContact(moment, moment.date(), channel)

    rule = RepeatRule(window_days=7)
    first, last = date(2010, 1, 1), date(2010, 1, 31)
    back_within_a_week = [at(12), at(5)]  # given out of order
    back_an_hour_after_seven_days = [at(3), at(10, 10, "phone")]
    back_exactly_seven_days_later = [at(20), at(27, channel="phone")]
    both_at_once = [at(14), at(14)]
    after_the_month = [at(30), at(31, 10, "phone")]
    repeated = repeated_by_channel(
        [
            back_within_a_week,
            back_an_hour_after_seven_days,
            back_exactly_seven_days_later,
            both_at_once,
            after_the_month,
        ],
        first,
        last,
        rule,
    )
    assert repeated == {"web": 3}, "the 5th (back on the 12th), the 20th (back on the 27th) and the 30th"
    assert repeated_by_channel([after_the_month], first, date(2010, 1, 30), rule) == {"web": 1}
    assert repeated_by_channel([[at(31), at(31, 10, "phone")]], first, date(2010, 1, 30), rule) == {}, "after it"
    tallies = no_repeat_tallies({"web": 10, "phone": 4, "letter": 0}, repeated)
    assert {c: (t.yes, t.flagged, t.share_yes) for c, t in tallies.items()} == {
        "web": (7, 10, 70.0),
        "phone": (4, 4, 100.0),
    }
