"""Accepting a contact: publish it once, wait for Kafka, and remember its reference.

Every channel adapter turns its own payload into a `ContactReceived` and calls
`Intake.accept`. A repeat of the same channel reference
returns the contact id already given and publishes nothing new. A contact is
answered as accepted only once the broker has acknowledged it; if the broker or
the reference store cannot be reached the caller is told to try again
(`IntakeUnavailable`), and nothing half-accepted is left behind: the reference is
recorded as pending first, so a retry publishes the same event again: the same
event id, contact id and time received.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID, uuid5

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from frontdoor_shared.contracts import ContactFollowUp, ContactFollowUpEvent, ContactReceived, ContactReceivedEvent
from frontdoor_shared.kafka import publish_options
from frontdoor_shared.logging import get_logger

log = get_logger(__name__)
PRODUCER = "intake"
REFERENCES = "intake_references"


class IntakeUnavailable(RuntimeError):
    """The contact was not accepted: the broker or the reference store is out of reach. Try again."""


@dataclass(frozen=True)
class Accepted:
    contact_id: UUID
    event_id: UUID
    duplicate: bool = False
    """True when this reference was accepted before: nothing new was published."""


class Intake(Protocol):
    async def accept(self, contact: ContactReceived) -> Accepted: ...

    async def accept_many(self, contacts: list[ContactReceived]) -> list[Accepted | IntakeUnavailable]:
        """Accept a batch; each contact is answered on its own, in order."""
        ...

    async def follow_up(self, message: ContactFollowUp) -> Accepted:
        """Publish a further message on an existing contact (to contacts.follow_ups), once per channel reference."""
        ...


def reference_key(contact: ContactReceived) -> str:
    return f"{contact.channel.value}:{contact.channel_reference}"


def first_copy(reference: dict) -> dict[str, object]:
    """What a retry of a pending reference takes from the first copy, so both copies are the same event.

    References recorded before `received_at` was kept give the contact id alone.
    """
    kept: dict[str, object] = {"contact_id": UUID(reference["contact_id"])}
    if received_at := reference.get("received_at"):
        kept["received_at"] = datetime.fromisoformat(received_at)
    return kept


class KafkaIntake:
    """Publishes to contacts.received, keyed by contact id, waiting for every in-sync replica."""

    def __init__(self, broker: KafkaBroker, topic: str, follow_ups_topic: str, references: AsyncCollection) -> None:
        self._out = broker.publisher(
            topic,
            title="contacts.received (published by intake)",
            description="Every contact as intake received it, keyed by contact id; consumed by routing",
            schema=ContactReceivedEvent,
        )
        self._follow_ups = broker.publisher(
            follow_ups_topic,
            title="contacts.follow_ups (published by intake)",
            description="Further messages on a contact already received, such as an email reply, keyed by contact id",
            schema=ContactFollowUpEvent,
        )
        self._references = references

    async def accept_many(self, contacts: list[ContactReceived]) -> list[Accepted | IntakeUnavailable]:
        """Accept a batch in three round trips instead of three per contact; each contact is answered on its own.

        References are inserted together (repeats found by their duplicate keys), every event is sent
        without waiting in between, and each answer waits for its own acknowledgement from Kafka.
        """
        keys = [reference_key(contact) for contact in contacts]
        docs = [
            {
                "_id": key,
                "contact_id": str(c.contact_id),
                "event_id": str(uuid5(c.contact_id, "contact.received")),
                "status": "pending",
                "received_at": c.received_at.isoformat(),
                "at": datetime.now(UTC),
            }
            for key, c in zip(keys, contacts, strict=True)
        ]
        known: dict[str, dict] = {}
        try:
            try:
                await self._references.insert_many(docs, ordered=False)
            except BulkWriteError as error:
                repeated = [
                    docs[e["index"]]["_id"] for e in error.details.get("writeErrors", []) if e.get("code") == 11000
                ]
                if len(repeated) != len(error.details.get("writeErrors", [])):
                    raise
                known = {doc["_id"]: doc async for doc in self._references.find({"_id": {"$in": repeated}})}
        except PyMongoError as error:
            log.error("batch not accepted: reference store unavailable", error=repr(error))
            return [IntakeUnavailable("the reference store is unavailable") for _ in contacts]
        answers: list[Accepted | IntakeUnavailable | None] = [None] * len(contacts)
        sends: list[tuple[int, ContactReceivedEvent, asyncio.Future]] = []
        for index, (key, contact) in enumerate(zip(keys, contacts, strict=True)):
            stored = known.get(key)
            if stored and stored["status"] == "published":
                answers[index] = Accepted(UUID(stored["contact_id"]), UUID(stored["event_id"]), duplicate=True)
                continue
            if stored:  # accepted before but not confirmed: the first copy again, with the same event id
                contact = contact.model_copy(update=first_copy(stored))
            event = ContactReceivedEvent.new(
                contact,
                producer=PRODUCER,
                event_id=UUID(stored["event_id"]) if stored else UUID(docs[index]["event_id"]),
            )
            try:
                future = await self._out.publish(
                    event.to_bytes(),
                    key=str(contact.contact_id).encode(),
                    **publish_options(event),
                    no_confirm=True,
                )
            except KafkaError:
                answers[index] = IntakeUnavailable("the message broker is unavailable")
                continue
            sends.append((index, event, future))
        results = await asyncio.gather(*(future for _, _, future in sends), return_exceptions=True)
        published = []
        for (index, event, _), result in zip(sends, results, strict=True):
            if isinstance(result, BaseException):
                answers[index] = IntakeUnavailable("the message broker is unavailable")
            else:
                answers[index] = Accepted(event.payload.contact_id, event.event_id)
                published.append(keys[index])
                log.info(
                    "contact received",
                    event_id=str(event.event_id),
                    correlation_id=str(event.correlation_id),
                    contact_id=str(event.payload.contact_id),
                    channel=event.payload.channel.value,
                )
        try:
            await self._references.update_many({"_id": {"$in": published}}, {"$set": {"status": "published"}})
        except PyMongoError as error:  # published: a retry republishes the same event ids, which is harmless
            log.warning("references not marked published", error=repr(error), count=len(published))
        return [answer for answer in answers if answer is not None]

    async def follow_up(self, message: ContactFollowUp) -> Accepted:
        key = f"{message.channel.value}:{message.channel_reference}"
        event_id = uuid5(message.contact_id, f"contact.follow_up:{key}")
        try:
            if await self._references.find_one({"_id": key, "status": "published"}):
                return Accepted(message.contact_id, event_id, duplicate=True)
        except PyMongoError as error:
            raise IntakeUnavailable("the reference store is unavailable") from error
        event = ContactFollowUpEvent.new(message, producer=PRODUCER, event_id=event_id)
        try:
            await self._follow_ups.publish(
                event.to_bytes(),
                key=str(message.contact_id).encode(),
                **publish_options(event),
            )
        except KafkaError as error:
            raise IntakeUnavailable("the message broker is unavailable") from error
        try:
            await self._references.update_one(
                {"_id": key},
                {
                    "$set": {"contact_id": str(message.contact_id), "event_id": str(event_id), "status": "published"},
                    "$setOnInsert": {"at": datetime.now(UTC)},
                },
                upsert=True,
            )
        except PyMongoError as error:
            log.warning("follow-up reference not recorded", error=repr(error), reference=key)
        log.info(
            "contact follow-up received",
            contact_id=str(message.contact_id),
            channel=message.channel.value,
            event_id=str(event_id),
        )
        return Accepted(message.contact_id, event_id)

    async def accept(self, contact: ContactReceived) -> Accepted:
        """Accept one contact; raises IntakeUnavailable when it was not accepted."""
        [answer] = await self.accept_many([contact])
        if isinstance(answer, IntakeUnavailable):
            raise answer
        return answer
