"""Operators' view of dead letters: list them, show them, and replay them after a fix.

A replay sends each dead letter's original bytes and headers back to the topic it came from. What
has been replayed is committed under a consumer group of its own, so replaying again sends only
dead letters that arrived since; consumers recognise a replayed event by its event id anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from frontdoor_shared.topics import DEAD_LETTER_SUFFIX

PREFIX = "x-dead-letter-"


@dataclass(frozen=True)
class DeadLetterView:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def reason(self) -> str:
        return self.headers.get(f"{PREFIX}reason", "(no reason recorded)")

    @property
    def original_topic(self) -> str | None:
        return self.headers.get(f"{PREFIX}original-topic")


async def dead_letter_topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(name for name in await admin.list_topics() if name.endswith(DEAD_LETTER_SUFFIX))
    finally:
        await admin.close()


async def _partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    finder = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None)
    await finder.start()
    try:
        return sorted(finder.assignment(), key=lambda tp: tp.partition)
    finally:
        await finder.stop()


async def read(bootstrap: str, topic: str, group: str | None = None) -> AsyncIterator[tuple[Any, DeadLetterView]]:
    """Every dead letter on the topic up to its end now; with a group, only those after the group's commit."""
    partitions = await _partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp) if group else None
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    headers = {k: v.decode("utf-8", errors="replace") for k, v in record.headers or ()}
                    yield (
                        consumer,
                        DeadLetterView(record.partition, record.offset, record.key, record.value or b"", headers),
                    )
            # check every partition: one ending in a transaction marker returns no records yet is done
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()


async def summary(bootstrap: str, topic: str) -> tuple[int, Counter[str]]:
    reasons: Counter[str] = Counter()
    async for _, letter in read(bootstrap, topic):
        reasons[letter.reason.split(":")[0][:120]] += 1
    return sum(reasons.values()), reasons


async def replay(bootstrap: str, topic: str) -> int:
    """Send every dead letter not replayed before back to its original topic; returns how many were sent."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    sent = 0
    try:
        async for consumer, letter in read(bootstrap, topic, group=f"frontdoor-dlq-replay-{topic}"):
            original = letter.original_topic or topic.removesuffix(DEAD_LETTER_SUFFIX)
            headers = [(k, v.encode()) for k, v in letter.headers.items() if not k.startswith(PREFIX)]
            headers.append(("x-replayed-from", f"{topic}:{letter.partition}:{letter.offset}".encode()))
            await (await producer.send(original, letter.value, key=letter.key, headers=headers))
            await consumer.commit({TopicPartition(topic, letter.partition): letter.offset + 1})
            sent += 1
    finally:
        await producer.stop()
    return sent
