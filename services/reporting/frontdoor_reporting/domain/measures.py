"""Call-centre, hub and satisfaction measures, from the projections' documents.

Conventions, stated in the report as well:
- service level: calls answered within the threshold over calls offered, short abandons excluded;
- average speed of answer: mean wait of answered calls;
- abandonment: calls abandoned after the short-abandon time over calls offered, short abandons excluded;
- average handle time: talk + hold + after-call work of ended calls;
- first-contact resolution: the advisor's flag on ended calls and closed hub visits, the
  customer's own answer in surveys, and no repeat contact within a window (`repeats`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .words import share


@dataclass(frozen=True)
class CallCentreRule:
    service_level_seconds: float = 20.0
    short_abandon_seconds: float = 5.0


@dataclass
class CallMeasures:
    offered: int = 0
    answered: int = 0
    answered_in_threshold: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    answer_wait_total: float = 0.0
    handled: int = 0
    handle_total: float = 0.0
    flagged: int = 0
    resolved_first_time: int = 0

    @property
    def counted(self) -> int:
        """Calls offered less short abandons: the base of service level and abandonment."""
        return self.offered - self.short_abandons

    @property
    def service_level(self) -> float | None:
        return share(self.answered_in_threshold, self.counted)

    @property
    def abandonment_rate(self) -> float | None:
        return share(self.abandoned, self.counted)

    @property
    def average_speed_of_answer(self) -> float | None:
        return round(self.answer_wait_total / self.answered, 1) if self.answered else None

    @property
    def average_handle_time(self) -> float | None:
        return round(self.handle_total / self.handled, 1) if self.handled else None

    @property
    def first_contact_resolution(self) -> float | None:
        return share(self.resolved_first_time, self.flagged)

    def add(self, call: Mapping[str, Any], rule: CallCentreRule) -> None:
        self.offered += 1
        if call.get("answered_at") is not None:
            self.answered += 1
            wait = call.get("answer_wait_seconds") or 0.0
            self.answer_wait_total += wait
            self.answered_in_threshold += wait <= rule.service_level_seconds
        elif call.get("abandoned_at") is not None:
            if (call.get("abandon_wait_seconds") or 0.0) < rule.short_abandon_seconds:
                self.short_abandons += 1
            else:
                self.abandoned += 1
        if call.get("ended_at") is not None:
            self.handled += 1
            self.handle_total += sum(call.get(f) or 0.0 for f in ("talk_seconds", "hold_seconds", "wrap_up_seconds"))
        if call.get("resolved_first_time") is not None:
            self.flagged += 1
            self.resolved_first_time += bool(call["resolved_first_time"])


def call_measures(calls: Iterable[Mapping[str, Any]], rule: CallCentreRule) -> CallMeasures:
    measures = CallMeasures()
    for call in calls:
        measures.add(call, rule)
    return measures


@dataclass
class Tally:
    """A count with an optional yes/no flag and a running total, for visits and survey responses."""

    count: int = 0
    flagged: int = 0
    yes: int = 0
    total: float = 0.0
    measured: int = 0

    def add(self, flag: bool | None = None, value: float | None = None) -> None:
        self.count += 1
        if flag is not None:
            self.flagged += 1
            self.yes += bool(flag)
        if value is not None:
            self.measured += 1
            self.total += value

    @classmethod
    def sum_of(cls, tallies: Iterable[Tally]) -> Tally:
        whole = cls()
        for tally in tallies:
            whole.count += tally.count
            whole.flagged += tally.flagged
            whole.yes += tally.yes
            whole.total += tally.total
            whole.measured += tally.measured
        return whole

    @property
    def share_yes(self) -> float | None:
        return share(self.yes, self.flagged)

    @property
    def mean(self) -> float | None:
        return round(self.total / self.measured, 2) if self.measured else None


SATISFIED_FROM = 4
"""Scores of 4 (satisfied) and 5 (very satisfied) count as satisfied."""
