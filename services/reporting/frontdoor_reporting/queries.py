"""Reading the projections for a report: one pass over each collection for the years it needs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from .domain.complaints import case_history
from .domain.periods import Period
from .domain.repeats import CustomerContact, RepeatRule, repeated_in
from .domain.report import ReportData
from .projections import CALLS, COMPLAINT_HISTORIES, CONTACTS, HUB_VISITS, SURVEY_RESPONSES, day_range

_CONTACT_GROUP = (
    "received_month",
    "channel",
    "destination",
    "destination_name",
    "destination_kind",
    "kind",
    "library_contact",
    "member_id",
    "member_name",
    "on_behalf_of_ward",
)
_RENAMED = {"received_month": "month", "on_behalf_of_ward": "ward"}


async def contact_counts(database: AsyncDatabase, period: Period, previous: Period) -> list[dict[str, Any]]:
    """Contacts of the period and the one before, counted by month, channel, destination, kind, library contact,
    member, and whether intake recognised the customer.

    Each row says whether it is the period's (`in_period`): a month that both periods share, when they do not
    start on the first of a month, is split at the period's first day.
    """
    key: dict[str, Any] = {f: f"${f}" for f in _CONTACT_GROUP}
    key["in_period"] = {"$gte": ["$received_day", period.first.isoformat()]}
    key["known_customer"] = {"$ne": [{"$ifNull": ["$customer_ref", None]}, None]}
    pipeline = [
        {"$match": {"received_day": day_range(previous.first, period.last)}},
        {"$group": {"_id": key, "contacts": {"$sum": 1}}},
    ]
    rows = []
    async for row in await database[CONTACTS].aggregate(pipeline):
        group = row["_id"]
        rows.append(
            {_RENAMED.get(f, f): group.get(f) for f in (*_CONTACT_GROUP, "in_period", "known_customer")}
            | {"contacts": row["contacts"]}
        )
    return rows


async def repeated_contacts(database: AsyncDatabase, period: Period, rule: RepeatRule) -> Counter[str]:
    """Contacts in the period followed within the window by another from the same customer to the same destination.

    Each customer's contacts to each destination are grouped in the database; only groups of two or more come back,
    and each is counted as it arrives, so memory stays flat however many customers there are.
    """
    pipeline = [
        {
            "$match": {
                # a spare day: the window is in hours, and a clock change can push its end to the next local day
                "received_day": day_range(period.first, period.last + rule.window + timedelta(days=1)),
                "customer_ref": {"$ne": None},
            }
        },
        {
            "$group": {
                "_id": {"customer": "$customer_ref", "destination": "$destination"},
                "contacts": {"$push": {"at": "$received_at", "day": "$received_day", "channel": "$channel"}},
                "count": {"$sum": 1},
            }
        },
        {"$match": {"count": {"$gt": 1}}},
    ]
    repeated: Counter[str] = Counter()
    async for row in await database[CONTACTS].aggregate(pipeline):
        history = [CustomerContact(c["at"], date.fromisoformat(c["day"]), c["channel"]) for c in row["contacts"]]
        repeated.update(repeated_in(history, period.first, period.last, rule))
    return repeated


async def _documents(database: AsyncDatabase, collection: str, day_field: str, window: Period) -> list[dict]:
    cursor = database[collection].find({day_field: day_range(window.first, window.last)}, {"projected_at": 0})
    return [document async for document in cursor]


async def report_data(database: AsyncDatabase, period: Period, repeats: RepeatRule = RepeatRule()) -> ReportData:
    previous = period.previous()
    earlier = previous.previous()
    two_years = Period(previous.first, period.last, "two years")
    three_years = Period(earlier.first, period.last, "three years")
    contacts = await contact_counts(database, period, previous)
    cursor = database[COMPLAINT_HISTORIES].find(
        {"last_day": {"$gte": three_years.first.isoformat()}, "first_day": {"$lte": three_years.last.isoformat()}}
    )
    cases = [case_history(case["_id"], case.get("events", {}).values()) async for case in cursor]
    return ReportData(
        period=period,
        previous=previous,
        earlier=earlier,
        contacts=contacts,
        calls=await _documents(database, CALLS, "first_day", two_years),
        visits=await _documents(database, HUB_VISITS, "first_day", two_years),
        surveys=await _documents(database, SURVEY_RESPONSES, "day", two_years),
        cases=cases,
        names=destination_names(contacts),
        repeated=await repeated_contacts(database, period, repeats),
    )


def destination_names(contacts: list[Mapping[str, Any]]) -> dict[str, str]:
    return {row["destination"]: row["destination_name"] for row in contacts if row.get("destination_name")}
