"""The reporting service, served over real HTTP on loopback, with the seed stream projected into it.

Package-scoped: the seed stream is published and projected once for the API tests and the
browser tests alike.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import uvicorn

from frontdoor_deploy.infrastructure import Infrastructure, forget_namespace
from frontdoor_reporting.app import create_app
from frontdoor_reporting.settings import ReportingSettings
from frontdoor_shared.topics import Topics
from tests.conftest import Namespace, free_port
from tests.kafka_tools import produce
from tests.reporting import seed_stream

KEYS = {
    "contacts_routed": lambda e: str(e.payload.contact_id),
    "complaints_events": lambda e: str(e.payload.case_id),
    "telephony_calls": lambda e: e.payload.call_id,
    "hub_visits": lambda e: e.payload.visit_id,
    "survey_responses": lambda e: e.payload.response_id,
}


@dataclass
class RunningReporting:
    url: str
    client: httpx.AsyncClient
    settings: ReportingSettings
    topics: Topics
    bootstrap: str
    stream: seed_stream.SeedStream

    async def publish(self, stream: seed_stream.SeedStream) -> None:
        for attribute, events in stream.by_topic().items():
            if events:
                messages = [(KEYS[attribute](e).encode(), e.to_bytes()) for e in events]
                await produce(self.bootstrap, getattr(self.topics, attribute), messages)


@pytest.fixture(scope="package")
def stream() -> seed_stream.SeedStream:
    return seed_stream.build()


async def wait_until_projected(database, stream: seed_stream.SeedStream, tries: int = 600) -> None:
    expected = {
        "contacts": len(stream.contacts),
        "complaint_histories": len({e.payload.case_id for e in stream.complaints}),
        "calls": len({e.payload.call_id for e in stream.calls}),
        "hub_visits": len({e.payload.visit_id for e in stream.visits}),
        "survey_responses": len(stream.surveys),
    }
    for _ in range(tries):
        counts = {name: await database[name].count_documents({}) for name in expected}
        if counts == expected:
            events = 0  # every complaint event in place, not only every case
            async for case in database["complaint_histories"].find({}, {"events": 1}):
                events += len(case.get("events", {}))
            if events == len(stream.complaints):
                return
        await asyncio.sleep(0.5)
    raise AssertionError(f"projections did not catch up: {counts} != {expected}")


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def reporting(infrastructure: Infrastructure, stream: seed_stream.SeedStream) -> AsyncIterator[RunningReporting]:
    namespace = Namespace(uuid.uuid4().hex[:10], infrastructure)
    settings = namespace.settings(ReportingSettings, council_name="Seed City Council")
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, timeout_graceful_shutdown=5)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            running = RunningReporting(
                url, client, settings, settings.topics, infrastructure.kafka_bootstrap_servers, stream
            )
            await running.publish(stream)
            await wait_until_projected(app.state.mongo[settings.mongodb_database], stream)
            yield running
    finally:
        server.should_exit = True
        await serving
        await forget_namespace(
            infrastructure.kafka_bootstrap_servers,
            infrastructure.mongodb_url,
            namespace.topic_prefix,
            [namespace.database, f"{namespace.database}_rebuilt"],
        )
