"""Reporting and complaints projections against the real broker and Mongo server."""

from __future__ import annotations

from datetime import timedelta

import httpx

from frontdoor_reporting.app import create_app as reporting_app
from frontdoor_reporting.settings import ReportingSettings
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
    other = routed()
    app = reporting_app(settings)
    bootstrap = namespace.infra.kafka_bootstrap_servers
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://r") as client:
        messages = [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in (first, again, rerouted, other)]
        # a redelivery replays a contact's decisions in their order: the newest is applied last again
        messages += [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in (first, rerouted)]
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
