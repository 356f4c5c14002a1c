"""Escalation against the real broker and Mongo server: unaccepted contacts move to the next target."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import yaml
from pymongo import AsyncMongoClient

from frontdoor_routing.app import create_app
from frontdoor_routing.escalation import OFFERS
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import (
    ContactAccepted,
    ContactAcceptedEvent,
    ContactReceivedEvent,
    ContactRoutedEvent,
)
from tests.factories import a_contact
from tests.kafka_tools import produce, read_topics


async def wait_until(check, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.25)


async def test_an_unaccepted_contact_is_offered_to_the_next_target_and_an_accepted_one_is_not(namespace, tmp_path):
    rules = yaml.safe_load(RoutingSettings().routing_rules_path.read_text())
    rules["rules"] = [
        {
            "id": "bins",
            "description": "bins",
            "when": {"words": ["bin", "bins"]},
            "targets": [
                {"destination": "waste_recycling", "priority": 40, "timeout_hours": 1},
                {"destination": "highways", "priority": 45, "timeout_hours": 2},
            ],
        }
    ]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    settings = namespace.settings(
        RoutingSettings, routing_instance="esc", routing_rules_path=path, routing_escalation_check_seconds=3600
    )
    topics = settings.topics
    now = datetime.now(UTC)
    waiting, taken = (
        ContactReceivedEvent.new(a_contact(text="My bin was not emptied", received_at=now), producer="test")
        for _ in range(2)
    )
    app = create_app(settings)
    bootstrap = namespace.infra.kafka_bootstrap_servers
    mongo = AsyncMongoClient(namespace.infra.mongodb_url)
    offers = mongo[namespace.database][OFFERS]
    try:
        async with app.router.lifespan_context(app):
            await produce(
                bootstrap,
                topics.contacts_received,
                [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in (waiting, taken)],
            )
            accepted = ContactAcceptedEvent.new(
                ContactAccepted(
                    contact_id=taken.payload.contact_id,
                    destination="waste_recycling",
                    accepted_by="team:waste-east",
                    accepted_at=now,
                ),
                producer="waste-team",
            )
            await produce(bootstrap, topics.contacts_accepted, [(b"k", accepted.to_bytes())])

            async def projected() -> bool:
                docs = [doc async for doc in offers.find({})]
                return (
                    len(docs) == 2
                    and any(doc.get("accepted_by_destinations") for doc in docs)
                    and all("step" in doc for doc in docs)
                )

            await wait_until(projected)
            watch = app.state.escalation
            assert await watch.check(now + timedelta(minutes=30)) == 0, "nothing is due yet"
            assert await watch.check(now + timedelta(hours=1, minutes=1)) == 1
            assert await watch.check(now + timedelta(hours=1, minutes=2)) == 0, "an escalation happens once"
            # after the rule's targets comes the directory's overflow for waste_recycling: customer services
            assert await watch.check(now + timedelta(hours=3, minutes=1)) == 1
            assert await watch.check(now + timedelta(hours=9)) == 0, "no target is left after the overflow"
            queued = await read_topics(bootstrap, [topics.queue("highways")], expect=1, idle_seconds=1)
    finally:
        await mongo.close()

    [record] = queued
    escalated = ContactRoutedEvent.model_validate_json(record.value)
    assert escalated.payload.contact_id == waiting.payload.contact_id
    assert escalated.payload.escalation_step == 1
    assert escalated.payload.priority == 45
    assert escalated.payload.due_by == now + timedelta(hours=3), "timeouts accumulate"
    assert "not accepted by Waste and Recycling" in escalated.payload.reason
    assert escalated.correlation_id == waiting.correlation_id
