"""Complaint and compliment cases, opened from routed contacts. Pure: no I/O."""

from collections.abc import Mapping
from enum import StrEnum

from pymongo import UpdateOne

from frontdoor_shared.contracts import ContactKind, ContactRoutedEvent

CASES = "complaint_cases"


class Procedure(StrEnum):
    CORPORATE = "corporate"
    ADULT_SOCIAL_CARE = "adult_social_care"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"


def procedure_for(destination: str, statutory_teams: Mapping[str, str]) -> Procedure:
    """Statutory complaints run their own procedure; every other complaint is corporate."""
    return Procedure(statutory_teams.get(destination, Procedure.CORPORATE))


def case_writes(event: ContactRoutedEvent, statutory_teams: Mapping[str, str]) -> list[UpdateOne]:
    """Open a case for a routed complaint or compliment; other contacts are not cases.

    `$setOnInsert` makes the opening idempotent: a redelivered event, or the same
    contact routed again, never resets a case officers have worked on.
    """
    routed = event.payload
    if routed.kind not in (ContactKind.COMPLAINT, ContactKind.COMPLIMENT):
        return []
    contact = routed.contact
    case = {
        "kind": routed.kind.value,
        "procedure": procedure_for(routed.destination, statutory_teams).value
        if routed.kind is ContactKind.COMPLAINT
        else None,
        "stage": 1 if routed.kind is ContactKind.COMPLAINT else None,
        "status": "received" if routed.kind is ContactKind.COMPLAINT else "recorded",
        "team": routed.destination,
        "channel": contact.channel.value,
        "category": contact.category,
        "received_at": contact.received_at,
        "customer_ref": contact.customer_ref,
        "opened_by_event_id": str(event.event_id),
        "correlation_id": str(event.correlation_id),
        "history": [{"event": "received", "at": contact.received_at, "event_id": str(event.event_id)}],
    }
    return [UpdateOne({"_id": str(routed.contact_id)}, {"$setOnInsert": case}, upsert=True)]
