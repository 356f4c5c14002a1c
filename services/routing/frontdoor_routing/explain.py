"""Decisions told for a person, or as one JSON object, and rule changes tried against past contacts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from frontdoor_shared.contracts import ContactReceived

from .domain.rules import RoutingDecision, RuleSet


def decision_as_dict(decision: RoutingDecision) -> dict[str, Any]:
    return {
        "destination": decision.destination.code,
        "destination_name": decision.destination.name,
        "destination_kind": decision.destination.kind.value,
        "kind": decision.kind.value,
        "priority": decision.priority,
        "statutory": decision.statutory,
        "safeguarding": decision.safeguarding,
        "rule": decision.rule_id,
        "rules_version": decision.rules_version,
        "matched_facts": list(decision.facts),
        "runner_up": {"rule": decision.runner_up.rule_id, "destination": decision.runner_up.destination}
        if decision.runner_up
        else None,
        "reason": decision.reason,
        "due_by": decision.due_by.isoformat(),
        "escalation": [
            {"destination": t.destination, "priority": t.priority, "timeout_hours": t.timeout.total_seconds() / 3600}
            for t in decision.escalation
        ],
    }


def decision_as_text(decision: RoutingDecision) -> str:
    lines = [
        f"Destination: {decision.destination.name} ({decision.destination.code}, {decision.destination.kind.value})",
        f"Kind:        {decision.kind.value}"
        + (f" (statutory {decision.statutory.replace('_', ' ')} complaint)" if decision.statutory else ""),
        f"Priority:    {decision.priority}{'  SAFEGUARDING' if decision.safeguarding else ''}",
        f"Due by:      {decision.due_by:%Y-%m-%d %H:%M %Z}",
        f"Rule:        {decision.rule_id} (rules version {decision.rules_version})",
        f"Why:         {decision.reason}",
        "Facts:",
        *(f"  - {fact}" for fact in decision.facts),
    ]
    if decision.runner_up:
        lines.append(f"Runner-up:   rule {decision.runner_up.rule_id} -> {decision.runner_up.destination}")
    if decision.escalation:
        lines.append(
            "If not accepted in time: "
            + " -> ".join(f"{t.destination} (after {t.timeout})" for t in decision.escalation)
        )
    return "\n".join(lines)


@dataclass
class Simulation:
    """How a candidate rule set would route contacts differently from the rules in force."""

    current_version: str
    candidate_version: str
    contacts: int = 0
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)
    kind_changed: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def unchanged(self) -> int:
        return self.contacts - sum(self.moved.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "current_rules_version": self.current_version,
            "candidate_rules_version": self.candidate_version,
            "contacts": self.contacts,
            "unchanged": self.unchanged,
            "moved": sum(self.moved.values()),
            "moves": [{"from": a, "to": b, "contacts": n} for (a, b), n in self.moved.most_common()],
            "kind_changes": [{"from": a, "to": b, "contacts": n} for (a, b), n in self.kind_changed.most_common()],
        }

    def as_text(self) -> str:
        lines = [
            f"{self.contacts} contacts replayed through rules {self.candidate_version} "
            f"(in force: {self.current_version}); nothing was published.",
            f"{self.unchanged} would go where they went; {sum(self.moved.values())} would move.",
        ]
        if self.moved:
            lines.append(f"\n{'from':<34} {'to':<34} contacts")
            lines += [f"{a:<34} {b:<34} {n}" for (a, b), n in self.moved.most_common()]
        if self.kind_changed:
            lines.append(f"\n{'kind was':<34} {'kind would be':<34} contacts")
            lines += [f"{a:<34} {b:<34} {n}" for (a, b), n in self.kind_changed.most_common()]
        return "\n".join(lines)


def simulate(contacts: Iterable[ContactReceived], current: RuleSet, candidate: RuleSet) -> Simulation:
    report = Simulation(current.version, candidate.version)
    for contact in contacts:
        now, then = current.decide(contact), candidate.decide(contact)
        report.contacts += 1
        if now.destination.code != then.destination.code:
            report.moved[(now.destination.code, then.destination.code)] += 1
        if now.kind != then.kind:
            report.kind_changed[(now.kind.value, then.kind.value)] += 1
    return report
