"""Service hours: when a department's queue is staffed, in council time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    """England and Wales bank holidays, substitute days included, from the maintained `holidays` package."""
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


@dataclass(frozen=True)
class ServiceHours:
    name: str
    days: frozenset[int]
    """Weekdays open, Monday = 0."""
    opens: time
    closes: time
    closed_on_bank_holidays: bool = True

    def is_open(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        if local.weekday() not in self.days:
            return False
        if self.closed_on_bank_holidays and is_bank_holiday(local.date()):
            return False
        return self.opens <= local.time() < self.closes

    def describe(self) -> str:
        days = [DAY_NAMES[d].capitalize() for d in sorted(self.days)]
        span = f"{days[0]}-{days[-1]}" if len(days) > 1 else days[0]
        holidays_note = ", closed on bank holidays" if self.closed_on_bank_holidays else ""
        return f"{self.name}: {span} {self.opens:%H:%M}-{self.closes:%H:%M}{holidays_note}"
