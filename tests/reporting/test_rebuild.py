"""`frontdoor reporting rebuild`: replaying Kafka into fresh projections ends identical to the live ones."""

from __future__ import annotations

import asyncio

import pytest

from frontdoor_reporting.__main__ import rebuild_command
from frontdoor_reporting.rebuild import rebuild

pytestmark = [pytest.mark.timeout(600), pytest.mark.asyncio(loop_scope="session")]


async def test_a_rebuild_from_the_beginning_equals_the_live_projections(reporting):
    seen: dict[str, tuple[int, int]] = {}
    replays, comparisons = await reporting_rebuild(reporting, seen)
    stream = reporting.stream
    read = {r.topic.split(".", 1)[1]: r.read for r in replays}
    # the dashboard test may have added today's contacts: each contact is published once
    assert read.pop("contacts.routed") == comparisons[0].live >= len(stream.contacts)
    assert read == {
        "telephony.calls": len(stream.calls),
        "hubs.visits": len(stream.visits),
        "surveys.responses": len(stream.surveys),
        "complaints.events": len(stream.complaints),
    }
    assert all(done == total for done, total in seen.values()), seen
    assert [(c.collection, c.identical) for c in comparisons] == [
        ("contacts", True),
        ("calls", True),
        ("hub_visits", True),
        ("survey_responses", True),
        ("complaint_histories", True),
    ], [(c.collection, c.live, c.rebuilt, c.differing[:3]) for c in comparisons]


async def reporting_rebuild(reporting, seen):
    def progress(topic: str, done: int, total: int) -> None:
        seen[topic] = (done, total)

    return await rebuild(reporting.settings, f"{reporting.settings.mongodb_database}_rebuilt", progress)


async def test_the_comparison_notices_a_projection_that_went_wrong(reporting, monkeypatch, capsys):
    from pymongo import AsyncMongoClient

    client = AsyncMongoClient(reporting.settings.mongodb_url)
    live = client[reporting.settings.mongodb_database]
    victim = await live["contacts"].find_one({})
    try:
        await live["contacts"].update_one({"_id": victim["_id"]}, {"$set": {"channel": "letter_by_pigeon"}})
        settings = reporting.settings
        for name, value in {
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "MONGODB_URL": settings.mongodb_url,
            "MONGODB_DATABASE": settings.mongodb_database,
            "TOPIC_PREFIX": settings.topic_prefix,
        }.items():
            monkeypatch.setenv(name, value)
        code = await asyncio.to_thread(rebuild_command, [])
        out = capsys.readouterr()
        assert code == 1
        contacts = await live["contacts"].count_documents({})
        assert f"contacts: live {contacts:,}, rebuilt {contacts:,}: DIFFERENT" in out.out and victim["_id"] in out.out
        assert "complaint_histories: live" in out.out and "identical" in out.out
        assert "contacts.routed" in out.err and "]" in out.err  # the progress bar
    finally:
        await live["contacts"].update_one({"_id": victim["_id"]}, {"$set": {"channel": victim["channel"]}})
        await client.close()
