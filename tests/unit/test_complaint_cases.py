"""The complaint lifecycle: transitions, refusals and the deadlines each stage works to."""

from datetime import date

import pytest

from frontdoor_complaints.domain.case import (
    Action,
    InvalidTransition,
    Outcome,
    Procedure,
    Status,
    Step,
    alerts_due,
    apply,
    at_risk,
    deadline,
    open_case,
    overdue,
)
from frontdoor_complaints.domain.working_days import WorkingCalendar

CAL = WorkingCalendar()
MON_21_DEC_2009 = date(2009, 12, 21)


def corporate(received=MON_21_DEC_2009):
    return open_case("c1", Procedure.CORPORATE, "waste_recycling", "delay", received)


def act(case, action, on, **fields):
    return apply(case, Step(action, on, **fields), CAL)


def test_corporate_stage_1_deadlines_across_christmas_with_an_extension():
    case = corporate()
    assert deadline(case, CAL).name == "acknowledge" and deadline(case, CAL).due == date(2009, 12, 30)
    case = act(case, Action.ACKNOWLEDGED, date(2009, 12, 24), officer="o1")
    assert deadline(case, CAL).due == date(2010, 1, 12)  # 10 working days after 24 Dec
    case = act(case, Action.EXTENDED, date(2010, 1, 8), extension_days=10, reason="waiting for the crew's report")
    assert deadline(case, CAL).due == date(2010, 1, 26)
    with pytest.raises(InvalidTransition, match="at most 10 working days"):
        act(case, Action.EXTENDED, date(2010, 1, 9), extension_days=1, reason="more")
    case = act(
        case,
        Action.RESPONDED,
        date(2010, 1, 20),
        officer="o1",
        outcome=Outcome.PARTLY_UPHELD,
        learning_points=("crews to report blocked streets",),
    )
    assert case.status is Status.RESPONDED and deadline(case, CAL) is None
    assert case.learning_points == ("crews to report blocked streets",)


def test_corporate_stage_2_needs_a_different_officer_and_is_the_last_stage():
    case = act(corporate(), Action.ACKNOWLEDGED, date(2009, 12, 22), officer="o1")
    case = act(case, Action.RESPONDED, date(2010, 1, 5), officer="o1", outcome=Outcome.NOT_UPHELD)
    case = act(case, Action.ESCALATED, date(2010, 1, 11))
    assert (case.stage, case.status) == (2, Status.ESCALATED)
    assert deadline(case, CAL).due == date(2010, 1, 18)  # 5 working days after Mon 11 Jan
    with pytest.raises(InvalidTransition, match="handled an earlier stage"):
        act(case, Action.ACKNOWLEDGED, date(2010, 1, 12), officer="o1")
    case = act(case, Action.ACKNOWLEDGED, date(2010, 1, 12), officer="o2")
    assert deadline(case, CAL).due == date(2010, 2, 9)  # 20 working days after 12 Jan
    case = act(case, Action.RESPONDED, date(2010, 2, 1), officer="o2", outcome=Outcome.NOT_UPHELD)
    with pytest.raises(InvalidTransition, match="last stage of a corporate complaint; next is the Ombudsman"):
        act(case, Action.ESCALATED, date(2010, 2, 2))
    case = act(case, Action.REFERRED_TO_OMBUDSMAN, date(2010, 3, 1))
    assert case.status is Status.REFERRED_TO_OMBUDSMAN and "ombudsman" in case.referrals


@pytest.mark.parametrize(
    ("prepare", "step", "message"),
    [
        (
            lambda c: c,
            Step(Action.RESPONDED, date(2010, 1, 4), outcome=Outcome.UPHELD),
            "not waiting|needs it to be acknowledged",
        ),
        (
            lambda c: act(c, Action.WITHDRAWN, date(2010, 1, 4)),
            Step(Action.ACKNOWLEDGED, date(2010, 1, 5)),
            "the case is withdrawn",
        ),
        (
            lambda c: act(
                act(
                    act(c, Action.ACKNOWLEDGED, date(2009, 12, 22)),
                    Action.RESPONDED,
                    date(2010, 1, 4),
                    outcome=Outcome.UPHELD,
                ),
                Action.CLOSED,
                date(2010, 1, 5),
            ),
            Step(Action.RESPONDED, date(2010, 1, 6), outcome=Outcome.UPHELD),
            "the case is closed",
        ),
        (
            lambda c: act(c, Action.ACKNOWLEDGED, date(2009, 12, 22)),
            Step(Action.EXTENDED, date(2010, 1, 4), extension_days=5),
            "stated reason",
        ),
        (lambda c: act(c, Action.ACKNOWLEDGED, date(2009, 12, 22)), Step(Action.RESPONDED, date(2010, 1, 4)), "upheld"),
        (lambda c: c, Step(Action.REFERRED_TO_OMBUDSMAN, date(2010, 1, 4)), "after the council's response"),
        (lambda c: c, Step(Action.CLOSED, date(2010, 1, 4)), "closed after its response"),
        (
            lambda c: act(c, Action.ACKNOWLEDGED, date(2009, 12, 22)),
            Step(Action.RECLASSIFIED_AS_SERVICE_REQUEST, date(2010, 1, 4)),
            "not yet acknowledged",
        ),
    ],
)
def test_invalid_transitions_are_refused_and_leave_the_case_as_it_was(prepare, step, message):
    case = prepare(corporate())
    before = case
    with pytest.raises(InvalidTransition, match=message):
        apply(case, step, CAL)
    assert case == before


def test_a_complaint_can_be_reclassified_as_a_service_request_and_back():
    case = act(corporate(), Action.RECLASSIFIED_AS_SERVICE_REQUEST, date(2009, 12, 22))
    assert not case.is_open and deadline(case, CAL) is None
    with pytest.raises(InvalidTransition, match="reclassified as a service request"):
        act(case, Action.ACKNOWLEDGED, date(2009, 12, 23))
    case = act(case, Action.RECLASSIFIED_AS_COMPLAINT, date(2010, 1, 4))
    assert case.status is Status.RECEIVED and deadline(case, CAL).due == date(2010, 1, 11)


def test_adult_social_care_acknowledges_in_3_days_and_responds_by_the_agreed_date():
    case = open_case(
        "a1", Procedure.ADULT_SOCIAL_CARE, "adult_social_care_complaints", "quality_of_service", date(2010, 3, 31)
    )
    assert deadline(case, CAL).due == date(2010, 4, 7)  # 1 Apr, (2 and 5 Apr Easter), 6, 7
    case = act(case, Action.ACKNOWLEDGED, date(2010, 4, 6), officer="s1")
    assert deadline(case, CAL).due == date(2010, 9, 30), "six months from receipt by default"
    case = act(
        case, Action.EXTENDED, date(2010, 5, 1), reason="agreed with the family", agreed_response_by=date(2010, 10, 15)
    )
    assert deadline(case, CAL).due == date(2010, 10, 15)
    case = act(case, Action.RESPONDED, date(2010, 10, 1), officer="s1", outcome=Outcome.UPHELD)
    with pytest.raises(InvalidTransition, match="last stage"):
        act(case, Action.ESCALATED, date(2010, 10, 2))


def test_childrens_social_care_three_stages_and_their_limits():
    case = open_case(
        "k1", Procedure.CHILDRENS_SOCIAL_CARE, "childrens_social_care_complaints", "communication", date(2010, 4, 28)
    )
    assert deadline(case, CAL).due == date(2010, 5, 13)  # 10 working days, early May bank holiday on the 3rd
    case = act(case, Action.EXTENDED, date(2010, 5, 10), extension_days=10, reason="complex")
    assert deadline(case, CAL).due == date(2010, 5, 27)
    case = act(case, Action.RESPONDED, date(2010, 5, 20), officer="k1", outcome=Outcome.NOT_UPHELD)
    case = act(case, Action.ESCALATED, date(2010, 6, 1))
    assert deadline(case, CAL).due == date(2010, 7, 6)  # 25 working days after 1 Jun
    case = act(case, Action.EXTENDED, date(2010, 6, 20), extension_days=40, reason="independent investigator")
    assert deadline(case, CAL).due == date(2010, 9, 1)  # 65 working days; the late summer holiday on 30 Aug
    with pytest.raises(InvalidTransition, match="at most 40"):
        act(case, Action.EXTENDED, date(2010, 6, 21), extension_days=1, reason="more")
    case = act(case, Action.RESPONDED, date(2010, 8, 20), officer="k2", outcome=Outcome.NOT_UPHELD)
    case = act(case, Action.ESCALATED, date(2010, 9, 1))
    assert (deadline(case, CAL).name, deadline(case, CAL).due) == ("panel", date(2010, 10, 13))
    case = act(case, Action.PANEL_HELD, date(2010, 10, 12))
    assert (deadline(case, CAL).name, deadline(case, CAL).due) == ("panel_report", date(2010, 10, 19))
    case = act(case, Action.PANEL_REPORTED, date(2010, 10, 18))
    assert (deadline(case, CAL).name, deadline(case, CAL).due) == ("council_response", date(2010, 11, 8))
    case = act(case, Action.RESPONDED, date(2010, 11, 1), officer="k3", outcome=Outcome.PARTLY_UPHELD)
    assert deadline(case, CAL) is None


def test_deadline_alerts_come_once_each_on_the_day_and_after_it():
    case = corporate()  # acknowledge by Wed 30 Dec 2009
    assert alerts_due(case, date(2009, 12, 29), CAL) == []
    assert at_risk(case, date(2009, 12, 29), CAL) and not overdue(case, date(2009, 12, 29), CAL)
    [(action, due)] = alerts_due(case, date(2009, 12, 30), CAL)
    assert action is Action.DEADLINE_DUE and due.due == date(2009, 12, 30)
    case = act(case, Action.DEADLINE_DUE, date(2009, 12, 30), deadline=due)
    assert alerts_due(case, date(2009, 12, 30), CAL) == []
    [(action, _)] = alerts_due(case, date(2009, 12, 31), CAL)
    assert action is Action.DEADLINE_MISSED and overdue(case, date(2009, 12, 31), CAL)
    case = act(case, Action.DEADLINE_MISSED, date(2009, 12, 31), deadline=due)
    assert alerts_due(case, date(2010, 1, 4), CAL) == []


def test_a_compliment_is_recorded_and_has_no_lifecycle():
    case = open_case("p1", None, "complaints_team", None, date(2010, 1, 4))
    assert case.status is Status.RECORDED and deadline(case, CAL) is None
    with pytest.raises(InvalidTransition, match="compliment"):
        act(case, Action.ACKNOWLEDGED, date(2010, 1, 5))


def test_routed_complaints_open_cases_under_their_procedure_and_other_contacts_do_not():
    from frontdoor_complaints.handlers import logged_event
    from frontdoor_complaints.settings import ComplaintsSettings
    from frontdoor_shared.contracts import ContactKind
    from tests.factories import a_routed_event

    teams = ComplaintsSettings().statutory_teams
    statutory = logged_event(a_routed_event(ContactKind.COMPLAINT, "adult_social_care_complaints"), teams)
    corporate = logged_event(a_routed_event(ContactKind.COMPLAINT, "complaints_team"), teams)
    compliment = logged_event(a_routed_event(ContactKind.COMPLIMENT, "complaints_team"), teams)
    assert (statutory.payload.action, statutory.payload.procedure) == ("logged", "adult_social_care")
    assert (corporate.payload.action, corporate.payload.procedure) == ("logged", "corporate")
    assert (compliment.payload.action, compliment.payload.procedure) == ("compliment_recorded", None)
    assert logged_event(a_routed_event(), teams) is None
    again = a_routed_event(ContactKind.COMPLAINT, "complaints_team")
    assert logged_event(again, teams).event_id == logged_event(again, teams).event_id
