"""Figures in the words a committee reads: "up 5% on the previous year"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    current: float
    previous: float | None

    @property
    def percent(self) -> float | None:
        """Change on the previous figure, in per cent; None when there is nothing to compare with."""
        if self.previous in (None, 0):
            return None
        return 100.0 * (self.current - self.previous) / self.previous

    def describe(self, against: str = "the previous year") -> str:
        percent = self.percent
        if percent is None:
            return f"no figure for {against} to compare with"
        rounded = round(percent)
        if rounded == 0:
            return f"about the same as {against}"
        return f"{'up' if rounded > 0 else 'down'} {abs(rounded)}% on {against}"


def number(value: float | int) -> str:
    """1234567 -> "1,234,567"; 12.345 -> "12.3"."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def share(part: float, whole: float) -> float | None:
    """Per cent, to one decimal place; None for an empty whole."""
    return round(100.0 * part / whole, 1) if whole else None


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{number(count)} {singular if count == 1 else plural_form or singular + 's'}"


def label(code: str) -> str:
    """A code as words when no name is known: "staff_attitude_conduct" -> "Staff attitude conduct"."""
    return code.replace("_", " ").capitalize()
