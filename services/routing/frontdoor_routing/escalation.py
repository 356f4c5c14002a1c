"""Escalation: a contact not accepted within its target's timeout is offered to the next target.

Timeouts accumulate as in TaskRouter: the second target's time starts when the
first one's ran out. Routing keeps the open offers in MongoDB (`routing_offers`),
projected from its own `contacts.routed` and the teams' `contacts.accepted`, so
the watch survives restarts: it reads what is due from the database, never from
memory. Escalations are published with ids derived from the contact and step, so
one published twice after a crash is recognisably the same event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import UpdateOne

from frontdoor_shared.contracts import (
    ContactAcceptedEvent,
    ContactRouted,
    ContactRoutedEvent,
    derived_event_id,
)
from frontdoor_shared.topics import Topics

from .domain.directory import Directory

OFFERS = "routing_offers"


def escalated(routed: ContactRouted, directory: Directory, topics: Topics, now: datetime) -> ContactRouted | None:
    """The next offer of a contact whose current target did not accept it in time; None when none is left."""
    if not routed.escalation:
        return None
    nxt, rest = routed.escalation[0], routed.escalation[1:]
    destination = directory[nxt.destination]
    missed = directory[routed.destination].name if routed.destination in directory else routed.destination
    return routed.model_copy(
        update={
            "destination": destination.code,
            "destination_name": destination.name,
            "destination_kind": destination.kind,
            "queue": topics.queue(destination.queue),
            "priority": nxt.priority,
            "escalation": rest,
            "escalation_step": routed.escalation_step + 1,
            "due_by": routed.due_by + timedelta(minutes=nxt.timeout_minutes),
            "routed_at": now,
            "reason": f"not accepted by {missed} by {routed.due_by:%Y-%m-%d %H:%M %Z}, so offered to "
            f"{destination.name} (escalation step {routed.escalation_step + 1}); first routed by {routed.reason}",
        }
    )


def escalation_event(previous: ContactRoutedEvent, payload: ContactRouted) -> ContactRoutedEvent:
    return ContactRoutedEvent.new(
        payload,
        producer="routing",
        cause=previous,
        event_id=derived_event_id(payload.contact_id, f"contact.escalated.{payload.escalation_step}"),
    )


def offer_writes(event: ContactRoutedEvent) -> list[UpdateOne]:
    """Keep the latest offer of each contact.

    An open offer keeps its event as JSON text, to publish the next offer from: one string field is
    cheaper to write than the nested document of the whole event. An offer with nothing left to
    escalate to is never read by the watch, so it keeps no event at all.

    Decisions about a contact arrive in order on its partition, so the newest is written last; the
    filter is the key alone so the write finds its document through the key's index.
    """
    routed = event.payload
    offer: dict[str, Any] = {
        "step": routed.escalation_step,
        "destination": routed.destination,
        "due_by": routed.due_by,
        "open": bool(routed.escalation),
        "event_id": str(event.event_id),
    }
    if routed.escalation:
        return [
            UpdateOne(
                {"_id": str(routed.contact_id)}, {"$set": offer | {"event": event.model_dump_json()}}, upsert=True
            )
        ]
    return [UpdateOne({"_id": str(routed.contact_id)}, {"$set": offer, "$unset": {"event": ""}}, upsert=True)]


def offered_event(offer: dict[str, Any]) -> ContactRoutedEvent:
    """The decision an offer was made by (kept as JSON text; offers written before that hold a document)."""
    event = offer["event"]
    if isinstance(event, str):
        return ContactRoutedEvent.model_validate_json(event)
    return ContactRoutedEvent.model_validate(event)


def acceptance_writes(event: ContactAcceptedEvent) -> list[UpdateOne]:
    """Record who accepted; it may arrive before routing has recorded the offer, so it upserts."""
    accepted = event.payload
    return [
        UpdateOne(
            {"_id": str(accepted.contact_id)},
            {"$addToSet": {"accepted_by_destinations": accepted.destination}},
            upsert=True,
        )
    ]


def due_offers_query(now: datetime) -> dict[str, Any]:
    return {"open": True, "due_by": {"$lte": now}}


def still_unaccepted(offer: dict[str, Any]) -> bool:
    return offer["destination"] not in offer.get("accepted_by_destinations", ())
