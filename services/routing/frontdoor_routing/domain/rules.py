"""Routing rules: an ordered list, first match wins, with a default target for the rest.

Pure logic: no I/O, no clock. `decide` takes the contact and the moment and
returns the decision with a reason a person can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived, CustomerFlag

from .directory import Destination, Directory
from .text import contains_phrase, words_of


@dataclass(frozen=True)
class Target:
    destination: str
    priority: int
    due_within: timedelta


@dataclass(frozen=True)
class Conditions:
    """Every condition given must hold (AND); within one condition any listed value will do (OR)."""

    channels: frozenset[Channel] = frozenset()
    kinds: frozenset[ContactKind] = frozenset()
    categories: frozenset[str] = frozenset()
    service_codes: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()
    wards: frozenset[str] = frozenset()
    postcode_districts: frozenset[str] = frozenset()
    customer_flags: frozenset[CustomerFlag] = frozenset()
    on_behalf_of: bool | None = None

    def explain_match(self, contact: ContactReceived, words: tuple[str, ...]) -> list[str] | None:
        """The reasons the contact matches, or None when it does not."""
        reasons: list[str] = []
        if self.channels:
            if contact.channel not in self.channels:
                return None
            reasons.append(f"channel is {contact.channel.value}")
        if self.kinds:
            if contact.kind not in self.kinds:
                return None
            reasons.append(f"kind is {contact.kind.value}")
        if self.categories:
            if contact.category not in self.categories:
                return None
            reasons.append(f"category is {contact.category}")
        if self.service_codes:
            if contact.service_code not in self.service_codes:
                return None
            reasons.append(f"service code is {contact.service_code}")
        if self.phrases:
            found = [" ".join(phrase) for phrase in self.phrases if contains_phrase(words, phrase)]
            if not found:
                return None
            reasons.append("text mentions " + ", ".join(repr(phrase) for phrase in found))
        location = contact.location
        if self.wards:
            ward = location.ward if location else None
            if ward is None or ward.casefold() not in self.wards:
                return None
            reasons.append(f"ward is {ward}")
        if self.postcode_districts:
            district = postcode_district(location.postcode) if location and location.postcode else None
            if district is None or district not in self.postcode_districts:
                return None
            reasons.append(f"postcode district is {district}")
        if self.customer_flags:
            flagged = sorted(flag.value for flag in self.customer_flags & contact.customer_flags)
            if not flagged:
                return None
            reasons.append("customer is flagged " + ", ".join(flagged))
        if self.on_behalf_of is not None:
            if (contact.on_behalf_of is not None) != self.on_behalf_of:
                return None
            reasons.append("raised by a councillor" if self.on_behalf_of else "not councillors' casework")
        return reasons


def postcode_district(postcode: str) -> str:
    """The outward code: "LS1 4AP" -> "LS1"."""
    compact = postcode.replace(" ", "").upper()
    return compact[:-3]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    conditions: Conditions
    target: Target


@dataclass(frozen=True)
class RoutingDecision:
    destination: Destination
    priority: int
    due_by: datetime
    rule_id: str
    rules_version: str
    reason: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    directory: Directory
    rules: Sequence[Rule]
    default: Target
    default_reason: str = field(default="no rule matched; sent to the default queue for triage")

    def decide(self, contact: ContactReceived) -> RoutingDecision:
        words = words_of(" ".join(filter(None, (contact.subject, contact.text))))
        for rule in self.rules:
            reasons = rule.conditions.explain_match(contact, words)
            if reasons is not None:
                because = "; ".join(reasons) if reasons else "matches every contact"
                return self._decision(
                    contact, rule.target, rule.id, f"rule {rule.id!r} ({rule.description}): {because}"
                )
        return self._decision(contact, self.default, "default", self.default_reason)

    def _decision(self, contact: ContactReceived, target: Target, rule_id: str, reason: str) -> RoutingDecision:
        return RoutingDecision(
            destination=self.directory[target.destination],
            priority=target.priority,
            due_by=contact.received_at + target.due_within,
            rule_id=rule_id,
            rules_version=self.version,
            reason=reason,
        )
