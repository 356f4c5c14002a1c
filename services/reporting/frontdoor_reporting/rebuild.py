"""Rebuilding the projections: replay every topic from the beginning into a fresh database, then compare.

The live projections keep running while a rebuild reads; the rebuilt database is compared with
the live one document by document (leaving out when each was written), and an operator can then
point the service at it, or keep it as evidence that the live projections are sound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from frontdoor_shared.kafka import admin_options
from frontdoor_shared.mongo import make_client

from .projections import OPERATIONAL_FIELDS, Projection, projections
from .settings import ReportingSettings

Progress = Callable[[str, int, int], Any]
"""Told (topic, messages read, messages to read) as a rebuild goes."""


@dataclass
class TopicReplay:
    topic: str
    read: int = 0
    skipped: int = 0
    """Messages that are not the topic's event: the live service sent them to the dead-letter topic."""


@dataclass
class Comparison:
    collection: str
    live: int
    rebuilt: int
    differing: list[str] = field(default_factory=list)
    """Keys of documents that differ or exist on one side only (the first 20)."""

    @property
    def identical(self) -> bool:
        return self.live == self.rebuilt and not self.differing


async def _partitions(settings: ReportingSettings, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**admin_options(settings))
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code"):
        raise RuntimeError(f"topic {topic}: the broker cannot describe it (error code {described['error_code']})")
    return sorted(TopicPartition(topic, p["partition"]) for p in described["partitions"])


async def _replay(
    settings: ReportingSettings, projection: Projection, into: AsyncDatabase, zone: ZoneInfo, progress: Progress
) -> TopicReplay:
    replay = TopicReplay(projection.topic)
    consumer = AIOKafkaConsumer(**admin_options(settings), isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(settings, projection.topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        starts = {tp: await consumer.position(tp) for tp in partitions}
        ends = await consumer.end_offsets(partitions)
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        writes_for = partial(projection.writes_for, zone=zone)
        collection = into[projection.collection]
        remaining = {tp for tp in partitions if starts[tp] < ends[tp]}
        progress(projection.topic, 0, total)
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=settings.reporting_batch_size)
            writes = []
            for records in batch.values():
                for record in records:
                    if record.offset >= ends[TopicPartition(record.topic, record.partition)]:
                        continue
                    try:
                        writes.extend(writes_for(projection.event.model_validate_json(record.value or b"")))
                    except ValidationError:
                        replay.skipped += 1
            if writes:
                await collection.bulk_write(writes, ordered=False)
            # a partition ending in a transaction marker returns no records, yet is done
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
            replay.read = sum([min(await consumer.position(tp), ends[tp]) - starts[tp] for tp in partitions])
            progress(projection.topic, replay.read, total)
    finally:
        await consumer.stop()
    return replay


async def _documents(database: AsyncDatabase, collection: str) -> dict[str, dict]:
    hidden = dict.fromkeys(OPERATIONAL_FIELDS, 0)
    return {str(doc.pop("_id")): doc async for doc in database[collection].find({}, hidden)}


async def compare(live: AsyncDatabase, rebuilt: AsyncDatabase, collection: str) -> Comparison:
    ours, theirs = await _documents(live, collection), await _documents(rebuilt, collection)
    differing = sorted(key for key in ours.keys() | theirs.keys() if ours.get(key) != theirs.get(key))
    return Comparison(collection, len(ours), len(theirs), differing[:20])


async def rebuild(
    settings: ReportingSettings, into: str, progress: Progress = lambda *_: None, check: bool = True
) -> tuple[list[TopicReplay], list[Comparison]]:
    """Replay every topic reporting consumes into the database `into` (emptied first); compare with the live one."""
    if into == settings.mongodb_database:
        raise ValueError(f"rebuild into a database other than the live one ({into!r})")
    zone = ZoneInfo(settings.council_timezone)
    client = make_client(settings, "reporting-rebuild")
    try:
        await client.drop_database(into)
        target = client[into]
        replays = [await _replay(settings, p, target, zone, progress) for p in projections(settings.topics)]
        comparisons = []
        if check:
            live = client[settings.mongodb_database]
            comparisons = [await compare(live, target, p.collection) for p in projections(settings.topics)]
        return replays, comparisons
    finally:
        await client.close()
