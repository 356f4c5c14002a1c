"""Deadline arithmetic against dates worked out by hand from the England and Wales calendar.

Each case counts the working days after the start day, one by one, in its comment.
"""

from datetime import date

import pytest

from frontdoor_complaints.domain.working_days import WorkingCalendar

CALENDAR = WorkingCalendar()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Christmas 2009: Fri 25 Dec; Boxing Day (Sat 26) substituted by Mon 28; Fri 1 Jan 2010.
        (date(2009, 12, 21), 5, date(2009, 12, 30)),  # 22, 23, 24, 29, 30
        (date(2009, 12, 24), 5, date(2010, 1, 5)),  # 29, 30, 31, 4, 5
        (date(2009, 12, 24), 10, date(2010, 1, 12)),  # ... 5, 6, 7, 8, 11, 12
        # Christmas 2010: Sat 25 and Sun 26 substituted by Mon 27 and Tue 28; Sat 1 Jan 2011 by Mon 3 Jan.
        (date(2010, 12, 20), 10, date(2011, 1, 6)),  # 21, 22, 23, 24, 29, 30, 31, 4, 5, 6
        (date(2010, 12, 23), 20, date(2011, 1, 25)),  # 24, 29, 30, 31, 4-7, 10-14, 17-21, 24, 25
        # Easter 2010: Good Friday 2 Apr, Easter Monday 5 Apr.
        (date(2010, 3, 31), 5, date(2010, 4, 9)),  # 1, 6, 7, 8, 9
        (date(2010, 4, 1), 10, date(2010, 4, 19)),  # 6, 7, 8, 9, 12, 13, 14, 15, 16, 19
        # Easter 2011 (22 and 25 Apr), the royal wedding (Fri 29 Apr) and early May (Mon 2 May).
        (date(2011, 4, 20), 10, date(2011, 5, 10)),  # 21, 26, 27, 28, 3, 4, 5, 6, 9, 10
        # Early May bank holiday 2010: Mon 3 May.
        (date(2010, 4, 28), 5, date(2010, 5, 6)),  # 29, 30, 4, 5, 6
        # Late summer (August) bank holiday 2010: Mon 30 Aug.
        (date(2010, 8, 26), 5, date(2010, 9, 3)),  # 27, 31, 1, 2, 3
        # A weekend start counts from the Monday.
        (date(2010, 1, 9), 3, date(2010, 1, 13)),  # 11, 12, 13
        (date(2010, 1, 11), 0, date(2010, 1, 11)),
    ],
)
def test_adding_working_days(start, days, expected):
    assert CALENDAR.add(start, days) == expected


def test_an_extension_runs_on_from_the_original_deadline():
    # Stage 1 corporate complaint: acknowledged Thu 24 Dec 2009, response due 10 working days later,
    # on Tue 12 Jan 2010; extended by 10 working days: 13, 14, 15, 18, 19, 20, 21, 22, 25, 26.
    due = CALENDAR.add(date(2009, 12, 24), 10)
    assert CALENDAR.add(due, 10) == date(2010, 1, 26)


def test_council_closure_days_are_not_working_days():
    closed = WorkingCalendar(closures=[date(2009, 12, 29), date(2009, 12, 30), date(2009, 12, 31)])
    assert closed.add(date(2009, 12, 24), 1) == date(2010, 1, 4)


def test_counting_working_days_between_two_dates():
    assert CALENDAR.between(date(2009, 12, 21), date(2009, 12, 30)) == 5
    assert CALENDAR.between(date(2010, 1, 12), date(2010, 1, 12)) == 0
    assert CALENDAR.between(date(2010, 1, 12), date(2010, 1, 5)) == 0


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add(date(2010, 1, 1), -1)
