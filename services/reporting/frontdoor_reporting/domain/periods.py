"""Reporting periods: council years (1 April to 31 March), calendar years and any range of days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_COUNCIL_YEAR = re.compile(r"^(\d{4})/(\d{2}|\d{4})$")
_CALENDAR_YEAR = re.compile(r"^(\d{4})$")


EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
MAX_RANGE_DAYS = 3653
"""Periods are reported between these days and for at most ten years, so two periods before is still a date."""


class BadPeriod(ValueError):
    """A period that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    label: str
    kind: str = "range"
    """council_year, calendar_year or range: what the period before it is."""

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise BadPeriod(f"the period starts ({self.first}) after it ends ({self.last})")

    @property
    def months(self) -> list[str]:
        """Every month the period touches, as YYYY-MM."""
        months, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def previous(self) -> Period:
        """The period of the same length just before: the previous council or calendar year for a year."""
        if self.kind == "council_year":
            return council_year(self.first.year - 1)
        if self.kind == "calendar_year":
            return calendar_year(self.first.year - 1)
        length = (self.last - self.first).days + 1
        last = self.first - timedelta(days=1)
        first = last - timedelta(days=length - 1)
        return Period(first, last, f"{first.isoformat()} to {last.isoformat()}")

    def contains(self, day: date | str) -> bool:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        return self.first <= day <= self.last


def council_year(starting: int) -> Period:
    return Period(
        date(starting, 4, 1), date(starting + 1, 3, 31), f"{starting}/{(starting + 1) % 100:02d}", "council_year"
    )


def calendar_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), str(year), "calendar_year")


def parse_period(year: str | None = None, first: date | None = None, last: date | None = None) -> Period:
    """A period from `year` ("2009/10" a council year, "2009" a calendar year) or from `first` and `last` days."""
    if year and (first or last):
        raise BadPeriod("give either a year or 'from' and 'to', not both")
    if year and (match := re.match(r"^\s*(\d{4})", year)) and not EARLIEST.year <= int(match[1]) < LATEST.year:
        raise BadPeriod(f"year {year.strip()!r}: reports cover {EARLIEST.year} to {LATEST.year}")
    period = _read(year, first, last)
    if period.first < EARLIEST or period.last > LATEST:
        raise BadPeriod(f"{period.label}: reports cover {EARLIEST.year} to {LATEST.year}")
    if (period.last - period.first).days > MAX_RANGE_DAYS:
        raise BadPeriod(f"{period.label}: a report covers at most ten years")
    return period


def _read(year: str | None, first: date | None, last: date | None) -> Period:
    if year:
        year = year.strip()
        if match := _COUNCIL_YEAR.match(year):
            start, end = int(match[1]), match[2]
            expected = start + 1
            if int(end) != (expected if len(end) == 4 else expected % 100):
                raise BadPeriod(
                    f"council year {year!r}: the second year must follow the first, as in {start}/{expected % 100:02d}"
                )
            return council_year(start)
        if match := _CALENDAR_YEAR.match(year):
            return calendar_year(int(match[1]))
        raise BadPeriod(f"year {year!r}: expected a council year such as 2009/10 or a calendar year such as 2009")
    if first and last:
        return Period(first, last, f"{first.isoformat()} to {last.isoformat()}")
    raise BadPeriod("give a year (2009/10 or 2009) or both 'from' and 'to' (YYYY-MM-DD)")


def month_name(month: str) -> str:
    """ "2010-01" -> "January 2010"."""
    return date.fromisoformat(f"{month}-01").strftime("%B %Y")
