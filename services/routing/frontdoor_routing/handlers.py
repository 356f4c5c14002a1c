"""Turning received contacts into routed ones: what to publish for each message, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from frontdoor_shared.contracts import (
    ContactReceivedEvent,
    ContactRouted,
    ContactRoutedEvent,
    derived_event_id,
)
from frontdoor_shared.kafka import DeadLetter
from frontdoor_shared.topics import Topics

from .domain.rules import RuleSet

PRODUCER = "routing"


@dataclass(frozen=True)
class Routed:
    event: ContactRoutedEvent
    queue: str
    record: Any = None
    """The consumed message it came from."""


def route(received: ContactReceivedEvent, rules: RuleSet, topics: Topics, now: datetime) -> Routed:
    contact = received.payload
    decision = rules.decide(contact)
    queue = topics.queue(decision.destination.code)
    routed = ContactRouted(
        contact_id=contact.contact_id,
        destination=decision.destination.code,
        destination_kind=decision.destination.kind,
        queue=queue,
        kind=contact.kind,
        priority=decision.priority,
        rule_id=decision.rule_id,
        rules_version=decision.rules_version,
        reason=decision.reason,
        due_by=decision.due_by,
        routed_at=now,
        contact=contact,
    )
    event = ContactRoutedEvent.new(
        routed,
        producer=PRODUCER,
        cause=received,
        event_id=derived_event_id(received.event_id, "contact.routed"),
    )
    return Routed(event, queue)


def route_records(
    records: Iterable[Any], rules: RuleSet, topics: Topics, consumer_group: str
) -> tuple[list[Routed], list[DeadLetter]]:
    """Route every record; a record that cannot be routed becomes a dead letter with the reason."""
    routed: list[Routed] = []
    dead: list[DeadLetter] = []
    now = datetime.now(UTC)
    for record in records:
        try:
            received = ContactReceivedEvent.model_validate_json(record.value or b"")
        except ValidationError as error:
            dead.append(DeadLetter.invalid(record, ContactReceivedEvent, error, consumer_group))
            continue
        try:
            routed.append(replace(route(received, rules, topics, now), record=record))
        except Exception as error:
            dead.append(DeadLetter(record, f"routing failed: {error!r}", type(error).__name__, consumer_group))
    return routed, dead
