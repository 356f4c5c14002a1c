"""The contacts projection: one document per contact, keyed by contact id.

The same event twice changes nothing: the upsert sets the contact's fields to what the event
says. Decisions about one contact share its key, so they arrive in order on one partition; a
redelivery replays them in that order and the document ends as the newest decision made it.
The filter is the document key alone, so every write finds its document through the key's index.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pymongo import UpdateOne

from frontdoor_shared.contracts import ContactRoutedEvent

CONTACTS = "contacts"


def council_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def contact_writes(event: ContactRoutedEvent, zone: ZoneInfo) -> list[UpdateOne]:
    routed = event.payload
    contact = routed.contact
    document = {
        "channel": contact.channel.value,
        "kind": routed.kind.value,
        "destination": routed.destination,
        "destination_kind": routed.destination_kind.value,
        "priority": routed.priority,
        "rule_id": routed.rule_id,
        "rules_version": routed.rules_version,
        "received_at": contact.received_at,
        "received_day": council_day(contact.received_at, zone),
        "routed_at": routed.routed_at,
        "due_by": routed.due_by,
        "on_behalf_of_ward": contact.on_behalf_of.ward if contact.on_behalf_of else None,
        "routed_event_id": str(event.event_id),
        "correlation_id": str(event.correlation_id),
    }
    # when the projection wrote it: operational, for measuring latency; never part of a figure
    written = {"$currentDate": {"projected_at": True}}
    return [UpdateOne({"_id": str(routed.contact_id)}, {"$set": document, **written}, upsert=True)]


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
