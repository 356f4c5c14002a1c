"""The reporting projections: one document per contact, call, hub visit, survey response and complaint case.

Every write is keyed by the entity and idempotent: the same event twice changes nothing.
- Contacts: the upsert sets the contact's fields to what the event says. Decisions about one
  contact share its key, so they arrive in order on one partition; a redelivery replays them in
  order and the document ends as the newest decision made it.
- Calls and hub visits: each event sets only its own fields (answered_at, wait, talk time ...)
  and `$min` keeps the first day, so events may arrive in any order.
- Complaint cases keep each lifecycle event under its event id; reporting replays a case's
  events into its history when it reports (`domain.complaints`).
The filter is the document key alone, so every write finds its document through the key's index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import UpdateOne

from frontdoor_shared.contracts import (
    CallEvent,
    Channel,
    ComplaintEvent,
    ContactRoutedEvent,
    Envelope,
    HubVisitEvent,
    SurveyResponseEvent,
)
from frontdoor_shared.topics import Topics

CONTACTS = "contacts"
CALLS = "calls"
HUB_VISITS = "hub_visits"
SURVEY_RESPONSES = "survey_responses"
COMPLAINT_HISTORIES = "complaint_histories"
"""Not `complaint_cases`: that is the complaints service's own collection, and the two may share a database."""
PROJECTIONS = (CONTACTS, CALLS, HUB_VISITS, SURVEY_RESPONSES, COMPLAINT_HISTORIES)
OPERATIONAL_FIELDS = ("projected_at",)
"""Fields that say when the projection wrote, not what happened: never part of a figure or a comparison."""

_WRITTEN = {"$currentDate": {"projected_at": True}}
LIBRARY_CATEGORY_PREFIX = "library_"


def council_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields an event actually carries, so one event never blanks another's."""
    return {name: value for name, value in fields.items() if value is not None}


def contact_writes(event: ContactRoutedEvent, zone: ZoneInfo) -> list[UpdateOne]:
    routed = event.payload
    contact = routed.contact
    day = council_day(contact.received_at, zone)
    member = contact.on_behalf_of
    library = contact.channel is Channel.LIBRARY and (contact.category or "").startswith(LIBRARY_CATEGORY_PREFIX)
    document = {
        "channel": contact.channel.value,
        "kind": routed.kind.value,
        "destination": routed.destination,
        "destination_name": routed.destination_name,
        "destination_kind": routed.destination_kind.value,
        "priority": routed.priority,
        "rule_id": routed.rule_id,
        "rules_version": routed.rules_version,
        "received_at": contact.received_at,
        "received_day": day,
        "received_month": day[:7],
        "routed_at": routed.routed_at,
        "due_by": routed.due_by,
        "library_contact": contact.category.removeprefix(LIBRARY_CATEGORY_PREFIX) if library else None,
        "member_id": member.member_id if member else None,
        "member_name": member.member_name if member else None,
        "on_behalf_of_ward": member.ward if member else None,
        "customer_ref": contact.customer_ref,
        "routed_event_id": str(event.event_id),
        "correlation_id": str(event.correlation_id),
    }
    return [UpdateOne({"_id": str(routed.contact_id)}, {"$set": document, **_WRITTEN}, upsert=True)]


def call_writes(event: CallEvent, zone: ZoneInfo) -> list[UpdateOne]:
    call = event.payload
    fields: dict[str, Any] = {"queue": call.queue, f"{call.event}_at": call.at}
    if call.event == "answered":
        fields["answer_wait_seconds"] = call.wait_seconds
    elif call.event == "abandoned":
        fields["abandon_wait_seconds"] = call.wait_seconds
    elif call.event == "ended":
        fields |= {
            "talk_seconds": call.talk_seconds,
            "hold_seconds": call.hold_seconds,
            "wrap_up_seconds": call.wrap_up_seconds,
            "disposition": call.disposition,
            "resolved_first_time": call.resolved_first_time,
            "contact_id": call.contact_id,
        }
    update = {"$set": _present(fields), "$min": {"first_day": council_day(call.at, zone)}, **_WRITTEN}
    return [UpdateOne({"_id": call.call_id}, update, upsert=True)]


def visit_writes(event: HubVisitEvent, zone: ZoneInfo) -> list[UpdateOne]:
    visit = event.payload
    fields = {
        "hub": visit.hub,
        f"{visit.event}_at": visit.at,
        "service": visit.service,
        "partner_agency": visit.partner_agency,
        "resolved_first_time": visit.resolved_first_time,
        "contact_id": visit.contact_id,
    }
    update = {"$set": _present(fields), "$min": {"first_day": council_day(visit.at, zone)}, **_WRITTEN}
    return [UpdateOne({"_id": f"{visit.hub}:{visit.visit_id}"}, update, upsert=True)]


def survey_writes(event: SurveyResponseEvent, zone: ZoneInfo) -> list[UpdateOne]:
    response = event.payload
    document = {
        "method": response.method,
        "at": response.at,
        "day": council_day(response.at, zone),
        "channel": response.channel.value if response.channel else None,
        "department": response.department,
        "score": response.score,
        "resolved_first_time": response.resolved_first_time,
        "comment": response.comment,
        "contact_id": response.contact_id,
    }
    key = f"{response.method}:{response.response_id}"
    return [UpdateOne({"_id": key}, {"$set": document, **_WRITTEN}, upsert=True)]


def complaint_writes(event: ComplaintEvent, zone: ZoneInfo) -> list[UpdateOne]:
    step = event.payload
    day = council_day(step.at, zone)
    recorded = _present(
        {
            "action": step.action,
            "at": step.at,
            "day": day,
            "procedure": step.procedure,
            "department": step.department,
            "category": step.category,
            "outcome": step.outcome,
            "deadline_name": step.deadline.name if step.deadline else None,
            "deadline_stage": step.deadline.stage if step.deadline else None,
        }
    )
    update = {
        "$set": {f"events.{event.event_id}": recorded},
        "$min": {"first_day": day},
        "$max": {"last_day": day},
        **_WRITTEN,
    }
    return [UpdateOne({"_id": str(step.case_id)}, update, upsert=True)]


def day_range(first: date, last: date) -> dict[str, str]:
    return {"$gte": first.isoformat(), "$lte": last.isoformat()}


def stats_pipeline(first_day: date | None, last_day: date | None) -> list[dict]:
    match: dict = {}
    if first_day or last_day:
        match["received_day"] = {}
        if first_day:
            match["received_day"]["$gte"] = first_day.isoformat()
        if last_day:
            match["received_day"]["$lte"] = last_day.isoformat()
    return [
        {"$match": match},
        {
            "$group": {
                "_id": {"day": "$received_day", "channel": "$channel", "destination": "$destination"},
                "contacts": {"$sum": 1},
            }
        },
        {"$sort": {"_id.day": 1, "_id.channel": 1, "_id.destination": 1}},
    ]


@dataclass(frozen=True)
class Projection:
    """One topic consumed into one collection."""

    topic: str
    event: type[Envelope]
    collection: str
    writes_for: Callable[[Any, ZoneInfo], list[UpdateOne]]


def projections(topics: Topics) -> list[Projection]:
    return [
        Projection(topics.contacts_routed, ContactRoutedEvent, CONTACTS, contact_writes),
        Projection(topics.telephony_calls, CallEvent, CALLS, call_writes),
        Projection(topics.hub_visits, HubVisitEvent, HUB_VISITS, visit_writes),
        Projection(topics.survey_responses, SurveyResponseEvent, SURVEY_RESPONSES, survey_writes),
        Projection(topics.complaints_events, ComplaintEvent, COMPLAINT_HISTORIES, complaint_writes),
    ]
