"""Reading and writing topics directly in tests, as an outside observer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition


async def read_topics(
    bootstrap: str,
    topics: list[str],
    *,
    expect: int | None = None,
    idle_seconds: float = 3.0,
    timeout: float = 90.0,
    isolation_level: str = "read_committed",
) -> list[Any]:
    """Every record on the topics from the beginning: until `expect` arrive (and stay idle), or idle."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level=isolation_level, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in (consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for topic in topics for p in (consumer.partitions_for_topic(topic) or ())
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        last_arrival = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            got = [record for part in batch.values() for record in part]
            if got:
                records.extend(got)
                last_arrival = time.monotonic()
            enough = expect is None or len(records) >= expect
            if enough and time.monotonic() - last_arrival >= idle_seconds:
                break
        return records
    finally:
        await consumer.stop()


async def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]], headers=None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await asyncio.gather(
            *[await producer.send(topic, value=value, key=key, headers=headers or []) for key, value in messages]
        )
    finally:
        await producer.stop()


def header(record: Any, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode()
    return None
