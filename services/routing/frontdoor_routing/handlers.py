"""Turning received contacts into routed ones: what to publish for each message, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from frontdoor_shared.contracts import (
    ContactReceived,
    ContactReceivedEvent,
    ContactRouted,
    ContactRoutedEvent,
    EscalationTarget,
    RunnerUp,
    derived_event_id,
)
from frontdoor_shared.kafka import DeadLetter
from frontdoor_shared.topics import Topics

from .domain.rules import RoutingDecision, RuleSet

PRODUCER = "routing"


@dataclass(frozen=True)
class Routed:
    event: ContactRoutedEvent
    queue: str
    record: Any = None
    """The consumed message it came from."""


def routed_payload(contact: ContactReceived, decision: RoutingDecision, topics: Topics, now: datetime) -> ContactRouted:
    return ContactRouted(
        contact_id=contact.contact_id,
        destination=decision.destination.code,
        destination_name=decision.destination.name,
        destination_kind=decision.destination.kind,
        queue=topics.queue(decision.destination.queue),
        kind=decision.kind,
        priority=decision.priority,
        rule_id=decision.rule_id,
        rules_version=decision.rules_version,
        reason=decision.reason,
        matched_facts=decision.facts,
        runner_up=RunnerUp(rule_id=decision.runner_up.rule_id, destination=decision.runner_up.destination)
        if decision.runner_up
        else None,
        safeguarding=decision.safeguarding,
        statutory_procedure=decision.statutory,
        escalation=tuple(
            EscalationTarget(
                destination=t.destination,
                priority=t.priority,
                timeout_minutes=max(1, int(t.timeout.total_seconds() // 60)),
            )
            for t in decision.escalation
        ),
        due_by=decision.due_by,
        routed_at=now,
        contact=contact,
    )


def route(received: ContactReceivedEvent, rules: RuleSet, topics: Topics, now: datetime) -> Routed:
    payload = routed_payload(received.payload, rules.decide(received.payload), topics, now)
    event = ContactRoutedEvent.new(
        payload,
        producer=PRODUCER,
        cause=received,
        event_id=derived_event_id(received.event_id, "contact.routed"),
    )
    return Routed(event, payload.queue)


@dataclass(frozen=True)
class Received:
    record: Any
    """The consumed message."""
    event: ContactReceivedEvent

    @property
    def position(self) -> tuple[str, int, int]:
        return (self.record.topic, self.record.partition, self.record.offset)


def read_received(records: Iterable[Any], consumer_group: str) -> tuple[list[Received], list[DeadLetter]]:
    """Parse each message once: the valid `contact.received` events, and a dead letter for every other message."""
    received: list[Received] = []
    dead: list[DeadLetter] = []
    for record in records:
        try:
            received.append(Received(record, ContactReceivedEvent.model_validate_json(record.value or b"")))
        except ValidationError as error:
            dead.append(DeadLetter.invalid(record, ContactReceivedEvent, error, consumer_group))
    return received, dead


def route_received(
    received: Iterable[Received], rules: RuleSet, topics: Topics, consumer_group: str
) -> tuple[list[Routed], list[DeadLetter]]:
    """Route every received contact; one that cannot be routed becomes a dead letter with the reason."""
    routed: list[Routed] = []
    dead: list[DeadLetter] = []
    now = datetime.now(UTC)
    for item in received:
        try:
            routed.append(replace(route(item.event, rules, topics, now), record=item.record))
        except Exception as error:
            dead.append(DeadLetter(item.record, f"routing failed: {error!r}", type(error).__name__, consumer_group))
    return routed, dead
