"""Routing each received contact once, even when intake publishes it twice.

Intake answers `202` only once Kafka has the contact, and then marks the reference published.
Killed between the two, it publishes the contact again when the channel retries: the same event
id, a later copy (found by the fault suite: one contact in 20,000 queued twice after a kill -9 of
intake). Routing therefore remembers where it first read each received event (topic, partition,
offset), before the batch's transaction commits. A copy at another offset is a repeat: its offset
is committed with the batch and nothing is routed for it. The same message read again after an
aborted transaction is at the same offset, so it is routed again, as it must be.

The filter is the document key alone, so the stand-in finds each document through its index.

A repeat comes minutes or hours after the first copy, while intake's channel retries, so each
position is forgotten after ROUTING_REPEAT_WINDOW_DAYS by a sweep in the service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from frontdoor_shared.logging import get_logger

log = get_logger(__name__)

RECEIVED = "routing_received"
DUPLICATE_KEY = 11000

Position = tuple[str, int, int]


def _position(record: Any) -> Position:
    return (record.topic, record.partition, record.offset)


class FirstDeliveries:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def repeats(self, received: Sequence[tuple[Any, UUID]], now: datetime | None = None) -> set[Position]:
        """Of the (record, event id) pairs, the positions of the records whose event was first read elsewhere.

        Give only valid `contact.received` events: a bad message that carries a good event's id (a near miss,
        or a dead letter replayed after a fix) is dead-lettered, and must not make the good one look like a
        repeat and be skipped.
        """
        seen_at = now or datetime.now(UTC)
        repeats: set[Position] = set()
        first: dict[str, dict[str, Any]] = {}
        for record, event_uuid in received:
            event_id = str(event_uuid)
            if event_id in first:
                repeats.add(_position(record))
                continue
            topic, partition, offset = _position(record)
            first[event_id] = {
                "_id": event_id,
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "seen_at": seen_at,
            }
        docs = list(first.values())
        if not docs:
            return repeats
        try:
            await self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if error.details.get("writeConcernErrors") or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            for problem in errors:
                doc = docs[problem["index"]]
                stored = await self.collection.find_one({"_id": doc["_id"]})
                if stored is None:
                    continue
                first_read = (stored["topic"], stored["partition"], stored["offset"])
                if first_read != (doc["topic"], doc["partition"], doc["offset"]):
                    repeats.add((doc["topic"], doc["partition"], doc["offset"]))
        return repeats

    async def prepare(self, now: datetime | None = None) -> None:
        """Index the time each position was recorded, and give one to positions recorded before times were kept,
        so that they too are forgotten once the window has passed."""
        await self.collection.create_index([("seen_at", 1)])
        await self.collection.update_many(
            {"seen_at": {"$exists": False}}, {"$set": {"seen_at": now or datetime.now(UTC)}}
        )

    async def forget(self, older_than: datetime) -> int:
        """Forget the positions first read before `older_than`; returns how many were forgotten."""
        result = await self.collection.delete_many({"seen_at": {"$lt": older_than}})
        return result.deleted_count

    async def run(self, window_days: int, every_seconds: float) -> None:
        """Forget, every `every_seconds`, what is older than the repeat window."""
        while True:
            try:
                forgotten = await self.forget(datetime.now(UTC) - timedelta(days=window_days))
                log.info("first deliveries forgotten", count=forgotten, window_days=window_days)
            except Exception:
                log.exception("forgetting first deliveries failed; will retry")
            await asyncio.sleep(every_seconds)
