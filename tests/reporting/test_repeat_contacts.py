"""First-contact resolution by repeat contact, read from the contacts projection in the real Mongo server."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pymongo import AsyncMongoClient

from frontdoor_reporting.domain.periods import parse_period
from frontdoor_reporting.domain.repeats import RepeatRule
from frontdoor_reporting.domain.report import ReportRules, build_report
from frontdoor_reporting.projections import CONTACTS, contact_writes
from frontdoor_reporting.queries import report_data
from frontdoor_shared.contracts import Channel
from tests.factories import a_routed_event


def routed(customer: str | None, destination: str, channel: Channel, at: datetime):
    return a_routed_event(destination=destination, channel=channel, customer_ref=customer, received_at=at)


async def test_a_repeat_after_the_year_end_counts_and_unknown_customers_are_not_measured(namespace):
    events = [
        # the last day of 2009/10, and the same customer back two days later, in 2010/11: not resolved first time
        routed("cust_a", "waste_recycling", Channel.WEB, datetime(2010, 3, 31, 15, tzinfo=UTC)),
        routed("cust_a", "waste_recycling", Channel.PHONE, datetime(2010, 4, 2, 9, tzinfo=UTC)),
        # back after nine days: both resolved first time
        routed("cust_b", "highways", Channel.WEB, datetime(2010, 3, 1, 9, tzinfo=UTC)),
        routed("cust_b", "highways", Channel.WEB, datetime(2010, 3, 10, 9, tzinfo=UTC)),
        # back within the week, but to another department: resolved
        routed("cust_c", "housing", Channel.SOCIAL_MEDIA, datetime(2010, 2, 1, 9, tzinfo=UTC)),
        routed("cust_c", "parking", Channel.SOCIAL_MEDIA, datetime(2010, 2, 3, 9, tzinfo=UTC)),
        # customers intake did not recognise: not measured
        routed(None, "housing", Channel.EMAIL, datetime(2010, 3, 5, 9, tzinfo=UTC)),
        routed(None, "housing", Channel.EMAIL, datetime(2010, 3, 6, 9, tzinfo=UTC)),
    ]
    mongo = AsyncMongoClient(namespace.infra.mongodb_url, tz_aware=True)
    try:
        database = mongo[namespace.database]
        zone = ZoneInfo("Europe/London")
        await database[CONTACTS].bulk_write([write for event in events for write in contact_writes(event, zone)])
        # projected before customer references were kept: no field at all
        await database[CONTACTS].update_one(
            {"_id": str(events[-1].payload.contact_id)}, {"$unset": {"customer_ref": ""}}
        )
        rules = ReportRules(repeats=RepeatRule(window_days=7))
        report = build_report(await report_data(database, parse_period("2009/10"), rules.repeats), rules)
    finally:
        await mongo.close()
    [table] = [t for s in report.sections for t in s.tables if t.name == "first_contact_resolution"]
    assert {row["channel"]: (row["resolved"], row["of"]) for row in table.rows} == {
        "Web (no repeat contact within 7 days)": (2, 3),
        "Social media (no repeat contact within 7 days)": (2, 2),
    }
