"""Consuming a topic into a MongoDB projection, at least once and idempotently.

Each batch: parse every message (a message that is not the expected event goes
to its dead-letter topic), turn the events into upserts keyed by the entity,
write them in one unordered bulk write, and only then commit the offsets. A
database outage is retried, never dead-lettered; a write that keeps failing for
one event sends that event's message to the dead-letter topic after the
configured number of attempts, and the rest of the stream flows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.params import NoCast
from pydantic import ValidationError
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from .contracts import Envelope
from .kafka import DeadLetter, DeliveryAttempts, message_context, raw_bodies
from .logging import get_logger
from .mongo import OUTAGES
from .topics import Topics

log = get_logger(__name__)

E = TypeVar("E", bound=Envelope)
DUPLICATE_KEY = 11000
"""An idempotency guard refused an older or repeated event: the projection already has it."""

PublishDeadLetter = Callable[[DeadLetter], Any]


@dataclass
class Projector(Generic[E]):
    event: type[E]
    collection: AsyncCollection
    writes_for: Callable[[E], Sequence[UpdateOne]]
    publish_dead_letter: PublishDeadLetter
    consumer_group: str
    attempts: DeliveryAttempts
    outage_backoff_seconds: float = 1.0

    async def project(self, records: Sequence[Any]) -> bool:
        """Project a batch; True when every message is handled and the offsets may be committed."""
        parsed: list[tuple[Any, E]] = []
        for record in records:
            try:
                parsed.append((record, self.event.model_validate_json(record.value or b"")))
            except ValidationError as error:
                await self._dead_letter(DeadLetter.invalid(record, self.event, error, self.consumer_group))
        writes = [write for _, event in parsed for write in self.writes_for(event)]
        try:
            await self._bulk_write(writes)
        except OUTAGES as error:
            log.warning("database out of reach; batch will be retried", error=str(error), size=len(records))
            await asyncio.sleep(self.outage_backoff_seconds)
            return False
        except PyMongoError as error:
            log.warning("bulk write failed; writing event by event", error=str(error))
            return await self._one_by_one(parsed)
        for record, _ in parsed:
            self.attempts.succeeded(record)
        return True

    async def _bulk_write(self, writes: Sequence[UpdateOne]) -> None:
        if not writes:
            return
        try:
            await self.collection.bulk_write(list(writes), ordered=False)
        except BulkWriteError as error:
            others = [e for e in error.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY]
            if others or error.details.get("writeConcernErrors"):
                raise

    async def _one_by_one(self, parsed: list[tuple[Any, E]]) -> bool:
        complete = True
        for record, event in parsed:
            try:
                await self._bulk_write(self.writes_for(event))
                self.attempts.succeeded(record)
            except OUTAGES:
                return False
            except PyMongoError as error:
                if self.attempts.failed(record):
                    await self._dead_letter(
                        DeadLetter(
                            record, f"projection write failed: {error}", type(error).__name__, self.consumer_group
                        )
                    )
                else:
                    complete = False
        return complete

    async def _dead_letter(self, letter: DeadLetter) -> None:
        with message_context(letter.record):
            log.warning("message dead-lettered", reason=letter.reason, dead_letter_topic=letter.topic)
        await self.publish_dead_letter(letter)


def subscribe_projection(
    broker: KafkaBroker,
    *,
    service: str,
    topic: str,
    consumer_group: str,
    event: type[E],
    collection: AsyncCollection,
    writes_for: Callable[[E], Sequence[UpdateOne]],
    batch_size: int,
    max_delivery_attempts: int,
    after_write: Callable[[], Any] | None = None,
) -> Projector[E]:
    """Wire a batch subscriber on `topic` that projects `event` into `collection`.

    Reads only committed messages (routing publishes in transactions), commits
    offsets after the write, and rewinds the batch when it could not be written.
    `after_write` is told after each batch is written and committed (a live view's cue to refresh).
    """
    dead_letters_out = broker.publisher(
        Topics.dead_letters(topic),
        title=f"{Topics.dead_letters(topic)} (published by {service})",
        description=f"Messages on {topic} the {service} service could not project: original bytes and headers, "
        "with x-dead-letter-reason",
        schema=bytes,
    )

    async def publish_dead_letter(letter: DeadLetter) -> None:
        await dead_letters_out.publish(letter.value, key=letter.key, headers=letter.headers)

    projector = Projector(
        event=event,
        collection=collection,
        writes_for=writes_for,
        publish_dead_letter=publish_dead_letter,
        consumer_group=consumer_group,
        attempts=DeliveryAttempts(max_delivery_attempts),
    )

    @broker.subscriber(
        topic,
        group_id=consumer_group,
        batch=True,
        max_records=batch_size,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        ack_policy=AckPolicy.MANUAL,
        decoder=raw_bodies,
        include_in_schema=False,  # documented by its publisher; the projector parses the bytes itself
    )
    async def project_batch(body: NoCast[list[bytes]], message: KafkaMessage) -> None:
        try:
            done = await projector.project(message.raw_message)
        except Exception:
            # e.g. a dead letter that could not be published. Unacknowledged, the batch would be skipped (the
            # next batch's commit covers its offsets); rewound, it is projected again, idempotently.
            log.exception("projection batch failed; it will be redelivered", size=len(message.raw_message))
            await asyncio.sleep(projector.outage_backoff_seconds)
            done = False
        if done:
            await message.ack()
            if after_write is not None:
                after_write()
        else:
            await message.nack()

    return projector
