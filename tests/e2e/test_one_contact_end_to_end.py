"""Contacts posted over HTTP travel intake -> routing -> queues and the reporting projection,
exactly once each, even when the routing service is killed mid-stream."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest
from pymongo import AsyncMongoClient

from frontdoor_deploy.services import ServiceProcess
from frontdoor_routing.config import load_directory
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import ContactRoutedEvent
from frontdoor_shared.topics import Topics
from tests.conftest import free_port
from tests.kafka_tools import read_topics

pytestmark = pytest.mark.e2e
CONTACTS = 240


@pytest.fixture
def services(namespace, tmp_path):
    env = namespace.env(ROUTING_INSTANCE="e2e", ROUTING_BATCH_SIZE="20")
    started = {
        name: ServiceProcess(name, free_port(), tmp_path / "run", env) for name in ("intake", "routing", "reporting")
    }
    try:
        for service in started.values():
            service.start()
        yield started
    finally:
        for service in started.values():
            service.stop()


def form(number: int) -> dict:
    subjects = ["Bin not collected", "Pothole on my road", "Council tax question", "Noisy neighbours at night"]
    return {
        "submission_id": f"e2e-{number}",
        "kind": "service_request",
        "subject": subjects[number % len(subjects)],
        "message": f"{subjects[number % len(subjects)]} - report number {number}",
        "email": f"resident{number}@example.org",
        "postcode": "LS6 2AB",
    }


async def test_each_contact_lands_exactly_once_even_when_routing_is_killed(namespace, services):
    intake, routing, reporting = services["intake"], services["routing"], services["reporting"]
    topics = Topics(namespace.topic_prefix)
    accepted: list[str] = []
    async with httpx.AsyncClient(base_url=intake.url, timeout=30) as client:

        async def post(number: int) -> None:
            answer = await client.post("/v1/contacts", json=form(number))
            assert answer.status_code == 202, answer.text
            accepted.append(answer.json()["contact_id"])

        await asyncio.gather(*(post(n) for n in range(CONTACTS // 2)))
        await asyncio.sleep(0.3)  # let routing be mid-stream
        routing.kill()
        await asyncio.gather(*(post(n) for n in range(CONTACTS // 2, CONTACTS)))
    routing.start()

    assert len(set(accepted)) == CONTACTS
    directory = load_directory(RoutingSettings().routing_directory_path)
    queues = [topics.queue(destination.code) for destination in directory]
    bootstrap = namespace.infra.kafka_bootstrap_servers
    queued = await read_topics(bootstrap, queues, expect=CONTACTS, idle_seconds=4, timeout=180)
    routed = await read_topics(bootstrap, [topics.contacts_routed], expect=CONTACTS, idle_seconds=1, timeout=60)

    per_contact = Counter(str(ContactRoutedEvent.model_validate_json(r.value).payload.contact_id) for r in queued)
    assert set(per_contact) == set(accepted), "every accepted contact reaches a queue"
    assert max(per_contact.values()) == 1, f"duplicates in queues: {[c for c, n in per_contact.items() if n > 1][:5]}"
    assert len(routed) == CONTACTS

    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=reporting.url, timeout=30) as client:
        while time.monotonic() < deadline:
            stats = (await client.get("/v1/stats")).json()
            if stats["total"] >= CONTACTS:
                break
            await asyncio.sleep(0.5)
    assert stats["total"] == CONTACTS
    mongo = AsyncMongoClient(namespace.infra.mongodb_url)
    try:
        assert await mongo[namespace.database]["contacts"].count_documents({}) == CONTACTS
    finally:
        await mongo.close()
