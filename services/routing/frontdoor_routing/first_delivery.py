"""Routing each received contact once, even when intake publishes it twice.

Intake answers `202` only once Kafka has the contact, and then marks the reference published.
Killed between the two, it publishes the contact again when the channel retries: the same event
id, a later copy (found by the fault suite: one contact in 20,000 queued twice after a kill -9 of
intake). Routing therefore remembers where it first read each received event (topic, partition,
offset), before the batch's transaction commits. A copy at another offset is a repeat: its offset
is committed with the batch and nothing is routed for it. The same message read again after an
aborted transaction is at the same offset, so it is routed again, as it must be.

The filter is the document key alone, so the stand-in finds each document through its index.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

RECEIVED = "routing_received"
DUPLICATE_KEY = 11000

Position = tuple[str, int, int]


def _position(record: Any) -> Position:
    return (record.topic, record.partition, record.offset)


def _event_id(record: Any) -> str | None:
    try:
        return str(UUID(str(json.loads(record.value or b"")["event_id"])))
    except (ValueError, TypeError, KeyError, RecursionError):  # RecursionError: JSON nested too deep
        return None  # not an event: routing dead-letters it as before


class FirstDeliveries:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def repeats(self, records: Sequence[Any]) -> set[Position]:
        """The positions of the records whose event was first read at another position."""
        repeats: set[Position] = set()
        first: dict[str, dict[str, Any]] = {}
        for record in records:
            event_id = _event_id(record)
            if event_id is None:
                continue
            if event_id in first:
                repeats.add(_position(record))
                continue
            topic, partition, offset = _position(record)
            first[event_id] = {"_id": event_id, "topic": topic, "partition": partition, "offset": offset}
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
                seen_at = (stored["topic"], stored["partition"], stored["offset"])
                if seen_at != (doc["topic"], doc["partition"], doc["offset"]):
                    repeats.add((doc["topic"], doc["partition"], doc["offset"]))
        return repeats
