"""Graceful shutdown: on SIGTERM a service finishes and commits what it has, then stops.

While a stream flows, each service in turn is sent SIGTERM and started again (a rolling restart).
Each must exit by itself with status 0, and, at the moment it has stopped, every message whose
effect is visible must be committed by its consumer group: handled means committed, so its
successor neither loses nor repeats anything. Afterwards the projections and queues must equal the
fault-free result, as in the fault suite.

Size: FAULTS_ROLLING_CONTACTS (default 1,500).
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from pymongo import AsyncMongoClient

from frontdoor_complaints.store import CASES
from frontdoor_reporting.projections import CONTACTS
from frontdoor_shared.contracts import ComplaintEvent, ContactReceivedEvent, ContactRoutedEvent

from .harness import FaultLog, Stack, read_all, reckon, say, terminate
from .stream import Pusher, make_stream

pytestmark = pytest.mark.faults
SIZE = int(os.environ.get("FAULTS_ROLLING_CONTACTS", "1500"))
ORDER = ("routing", "reporting", "complaints", "intake")


async def committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
    finally:
        await admin.close()


def uncommitted(where: dict[str, tuple[int, int]], topic: str, offsets: dict[TopicPartition, int]) -> list[str]:
    """Keys whose message (partition, offset) on `topic` is at or past the group's committed offset."""
    return [
        key for key, (partition, offset) in where.items() if offset >= offsets.get(TopicPartition(topic, partition), 0)
    ]


async def handled_but_not_committed(stack: Stack, service: str) -> list[str]:
    """What the stopped service's effects show it handled, that its consumer group has not committed."""
    bootstrap, topics, prefix = stack.infra.bootstrap, stack.topics, stack.topics.prefix
    client = AsyncMongoClient(stack.infra.mongodb_url, tz_aware=True)
    try:
        if service == "routing":
            # every contact routing published a first decision for must be committed on contacts.received
            routed = {
                str(ContactRoutedEvent.model_validate_json(r.value).payload.contact_id)
                for r in await read_all(bootstrap, [topics.contacts_routed])
            }
            received: dict[str, tuple[int, int]] = {}
            for r in await read_all(bootstrap, [topics.contacts_received]):
                key = str(ContactReceivedEvent.model_validate_json(r.value).payload.contact_id)
                if key in routed:
                    received[key] = max(received.get(key, (r.partition, -1)), (r.partition, r.offset))
            offsets = await committed(bootstrap, f"{prefix}frontdoor-routing")
            return uncommitted(received, topics.contacts_received, offsets)
        if service == "reporting":
            projected = {
                doc["routed_event_id"]
                async for doc in client[stack.database_of("reporting")][CONTACTS].find({}, {"routed_event_id": 1})
            }
            where = {}
            for r in await read_all(bootstrap, [topics.contacts_routed]):
                event_id = str(ContactRoutedEvent.model_validate_json(r.value).event_id)
                if event_id in projected:
                    where[event_id] = (r.partition, r.offset)
            offsets = await committed(bootstrap, f"{prefix}frontdoor-reporting")
            return uncommitted(where, topics.contacts_routed, offsets)
        if service == "complaints":
            applied = {
                event_id
                async for doc in client[stack.database_of("complaints")][CASES].find({}, {"applied_event_ids": 1})
                for event_id in doc.get("applied_event_ids", ())
            }
            cases_at: dict[str, tuple[int, int]] = {}
            logged_for: set[str] = set()
            for r in await read_all(bootstrap, [topics.complaints_events]):
                event = ComplaintEvent.model_validate_json(r.value)
                logged_for.add(str(event.causation_id))
                if str(event.event_id) in applied:
                    cases_at.setdefault(str(event.event_id), (r.partition, r.offset))
            routed_at = {}
            for r in await read_all(bootstrap, [topics.contacts_routed]):
                event_id = str(ContactRoutedEvent.model_validate_json(r.value).event_id)
                if event_id in logged_for:
                    routed_at[event_id] = (r.partition, r.offset)
            return uncommitted(
                cases_at, topics.complaints_events, await committed(bootstrap, f"{prefix}frontdoor-complaints-cases")
            ) + uncommitted(
                routed_at, topics.contacts_routed, await committed(bootstrap, f"{prefix}frontdoor-complaints-routed")
            )
        return []  # intake consumes only for its Open311 status projection
    finally:
        await client.close()


async def test_a_rolling_restart_with_sigterm_loses_nothing_and_counts_nothing_twice(
    own_infrastructure, tmp_path, capsys
):
    run_id = uuid.uuid4().hex[:8]
    stack = await Stack.create(own_infrastructure, tmp_path / "run", run_id)
    log = FaultLog()
    exits: dict[str, Any] = {}
    left_uncommitted: dict[str, list[str]] = {}
    try:
        await stack.start()
        points = [SIZE * (index + 1) // (len(ORDER) + 1) for index in range(len(ORDER))] + [SIZE]
        restarted = 0  # the stream may not pass the next restart's point until this one is done: it flows throughout
        pusher = Pusher(
            stack.processes["intake"].url, stack.smtp_port, limit=lambda: points[min(restarted + 1, len(ORDER))]
        )
        started = asyncio.get_running_loop().time()
        pushing = asyncio.create_task(pusher.push(make_stream(SIZE, 11, run_id)))
        for index, name in enumerate(ORDER):
            while pusher.report.pushed < points[index]:  # noqa: ASYNC110 - progress is a counter, not an event
                await asyncio.sleep(0.05)
            say(f"SIGTERM {name} (at {pusher.report.pushed} of {SIZE} contacts taken)")
            exits[name] = await asyncio.to_thread(terminate, stack.processes[name])
            left_uncommitted[name] = await handled_but_not_committed(stack, name)
            log.injected.append(f"SIGTERM {name}")
            await asyncio.to_thread(stack.processes[name].start, 300)
            restarted = index + 1
        pushed = await pushing
        reckoning = await reckon(stack, pushed.contact_ids, log, pushed.by_channel, started, bound=300 + SIZE / 50)
    finally:
        await stack.stop()
    with capsys.disabled():
        print("\n" + reckoning.table())
    # uvicorn finishes its shutdown, then ends the process with the signal it got, as Unix programs do;
    # None would mean it did not stop by itself and had to be killed
    stopped_by_itself = {name: status in (0, -signal.SIGTERM) for name, status in exits.items()}
    tails = {name: stack.log_tail(name, 8) for name, ok in stopped_by_itself.items() if not ok}
    assert stopped_by_itself == dict.fromkeys(ORDER, True), f"exit statuses on SIGTERM: {exits}\n{tails}"
    assert left_uncommitted == {name: [] for name in ORDER}, "handled but not committed when the service stopped"
    assert reckoning.contacts.clean, reckoning.table()
    assert reckoning.cases.clean, reckoning.table()
    assert reckoning.queues.clean, reckoning.table()
