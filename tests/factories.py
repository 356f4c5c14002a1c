"""Events for tests, with sensible defaults and any field overridable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from frontdoor_shared.contracts import (
    Channel,
    ContactKind,
    ContactReceived,
    ContactRouted,
    ContactRoutedEvent,
    DestinationKind,
)

JANUARY_2010 = datetime(2010, 1, 11, 10, 0, tzinfo=UTC)


def a_contact(**overrides: Any) -> ContactReceived:
    fields: dict[str, Any] = {
        "contact_id": uuid.uuid4(),
        "channel": Channel.PHONE,
        "channel_reference": "call-1",
        "kind": ContactKind.SERVICE_REQUEST,
        "text": "Bins not collected in the snow",
        "received_at": JANUARY_2010,
    }
    return ContactReceived(**(fields | overrides))


def a_routed_event(
    kind: ContactKind = ContactKind.SERVICE_REQUEST,
    destination: str = "waste_recycling",
    routed_at: datetime = JANUARY_2010,
    contact_id: uuid.UUID | None = None,
    **contact_fields: Any,
) -> ContactRoutedEvent:
    contact = a_contact(kind=kind, contact_id=contact_id or uuid.uuid4(), **contact_fields)
    payload = ContactRouted(
        contact_id=contact.contact_id,
        destination=destination,
        destination_name=destination.replace("_", " ").title(),
        destination_kind=DestinationKind.DEPARTMENT,
        queue=f"queue.{destination}",
        kind=kind,
        priority=40,
        rule_id="bins",
        rules_version="t",
        reason="test",
        due_by=contact.received_at + timedelta(days=2),
        routed_at=routed_at,
        contact=contact,
    )
    return ContactRoutedEvent.new(payload, producer="test")
