"""Surges: months in which a department's contacts or complaints rose far above their own usual level.

The usual level of a month is the median of the same department's monthly figures over the
twelve months before it (at least three of them), so one bad month does not hide the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class SurgeRule:
    min_ratio: float = 2.0
    """How many times the usual level a month must reach."""
    min_rise: int = 25
    """And by how many, at least, so that 2 complaints against a usual 1 is not a surge."""
    baseline_months: int = 12
    min_baseline_months: int = 3


@dataclass(frozen=True)
class Surge:
    subject: str
    month: str
    count: int
    usual: float

    @property
    def rise(self) -> int:
        return round(self.count - self.usual)

    @property
    def times(self) -> float | None:
        return round(self.count / self.usual, 1) if self.usual else None


def find_surges(
    monthly: Mapping[str, Mapping[str, int]],
    months: Sequence[str],
    report_months: Sequence[str],
    rule: SurgeRule = SurgeRule(),
) -> list[Surge]:
    """Surges in `report_months`, from each subject's counts by month over all of `months` (in order).

    Months before the first with any figure at all are unknown, not zero: they are no baseline.
    """
    recorded = [month for counts in monthly.values() for month, count in counts.items() if count]
    if not recorded:
        return []
    months = [month for month in months if month >= min(recorded)]
    surges = []
    for subject, counts in monthly.items():
        for month in report_months:
            if month not in months:
                continue
            before = months[max(0, months.index(month) - rule.baseline_months) : months.index(month)]
            if len(before) < rule.min_baseline_months:
                continue
            usual = median(counts.get(m, 0) for m in before)
            count = counts.get(month, 0)
            if count - usual >= rule.min_rise and count >= rule.min_ratio * usual:
                surges.append(Surge(subject, month, count, float(usual)))
    return sorted(surges, key=lambda s: (s.month, -s.rise))
