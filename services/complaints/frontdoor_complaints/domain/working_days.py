"""Working days in England and Wales: not a weekend, not a bank holiday (substitute days included),
not a day the council has declared closed.

Deadlines are counted in whole working days from the day of the event: "within 5
working days of receipt" for a complaint received on Monday 21 December 2009 ends on
the fifth working day after it, Wednesday 30 December (Christmas Day on the 25th
and the substitute Boxing Day on Monday the 28th are not working days). A deadline runs to the end
of its day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


class WorkingCalendar:
    def __init__(self, closures: Iterable[date] = ()) -> None:
        self.closures = frozenset(closures)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in self.closures

    def add(self, start: date, working_days: int) -> date:
        """The `working_days`-th working day after `start` (start itself never counts)."""
        if working_days < 0:
            raise ValueError("working days to add must not be negative")
        day, left = start, working_days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count
