"""Reporting and complaints projections against the real broker and Mongo server."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from pymongo import AsyncMongoClient

from frontdoor_complaints.app import create_app as complaints_app
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_reporting.app import create_app as reporting_app
from frontdoor_reporting.settings import ReportingSettings
from frontdoor_shared.contracts import ContactKind
from frontdoor_shared.topics import Topics
from tests.factories import JANUARY_2010, a_routed_event
from tests.kafka_tools import header, produce, read_topics

WHEN = JANUARY_2010
routed = a_routed_event


async def wait_for_total(client: httpx.AsyncClient, total: int, tries: int = 120) -> dict:
    import asyncio

    for _ in range(tries):
        stats = (await client.get("/v1/stats")).json()
        if stats["total"] >= total:
            return stats
        await asyncio.sleep(0.25)
    return stats


async def test_reporting_counts_each_contact_once_however_often_it_arrives(namespace):
    settings = namespace.settings(ReportingSettings)
    topics = settings.topics
    first = routed()
    again = first  # the same event redelivered
    rerouted = routed(destination="highways", routed_at=WHEN + timedelta(hours=1), contact_id=first.payload.contact_id)
    stale = routed(destination="parking", routed_at=WHEN - timedelta(hours=1), contact_id=first.payload.contact_id)
    other = routed()
    app = reporting_app(settings)
    bootstrap = namespace.infra.kafka_bootstrap_servers
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://r") as client:
        messages = [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in (first, again, rerouted, stale, other)]
        await produce(bootstrap, topics.contacts_routed, [*messages, (b"x", b"not an event")])
        stats = await wait_for_total(client, 2)
        dead = await read_topics(bootstrap, [Topics.dead_letters(topics.contacts_routed)], expect=1, idle_seconds=1)
        # let any further (wrong) updates land before judging
        stats = await wait_for_total(client, 99, tries=8)

    assert stats["total"] == 2
    destinations = sorted((row["destination"], row["contacts"]) for row in stats["rows"])
    assert destinations == [("highways", 1), ("waste_recycling", 1)]
    assert stats["rows"][0]["day"] == "2010-01-11" and stats["rows"][0]["channel"] == "phone"
    assert [record.value for record in dead] == [b"not an event"]
    assert header(dead[0], "x-dead-letter-reason").startswith("not a valid ContactRoutedEvent")


async def test_complaints_open_one_case_per_complaint_and_keep_procedures_apart(namespace):
    settings = namespace.settings(ComplaintsSettings)
    corporate = routed(ContactKind.COMPLAINT, "complaints_team")
    statutory = routed(ContactKind.COMPLAINT, "adult_social_care_complaints")
    request = routed()
    app = complaints_app(settings)
    async with app.router.lifespan_context(app):
        events = (corporate, corporate, statutory, request)
        await produce(
            namespace.infra.kafka_bootstrap_servers,
            settings.topics.contacts_routed,
            [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in events],
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://complaints") as client:
            import asyncio

            for _ in range(120):
                cases = (await client.get("/v1/cases")).json()
                if len(cases) >= 2:
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(1)
            cases = (await client.get("/v1/cases")).json()
            one = (await client.get(f"/v1/cases/{corporate.payload.contact_id}")).json()
            missing = await client.get(f"/v1/cases/{uuid.uuid4()}")

    assert sorted(case["procedure"] for case in cases) == ["adult_social_care", "corporate"]
    assert all(case["stage"] == 1 and case["status"] == "received" for case in cases)
    assert len(one["history"]) == 1
    assert missing.status_code == 404
    mongo = AsyncMongoClient(namespace.infra.mongodb_url)
    try:
        assert await mongo[namespace.database]["complaint_cases"].count_documents({}) == 2
    finally:
        await mongo.close()
