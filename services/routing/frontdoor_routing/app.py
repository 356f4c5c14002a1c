"""Bootstrap of the routing service: load the rules, wire the brokers, watch escalations, serve health."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiokafka.errors import ProducerFenced
from aiokafka.structs import TopicPartition
from fastapi import FastAPI, HTTPException
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.params import NoCast
from pymongo import UpdateOne

from frontdoor_shared.contracts import ContactAcceptedEvent, ContactRoutedEvent
from frontdoor_shared.health import health_router
from frontdoor_shared.kafka import (
    DeadLetter,
    ensure_topics,
    make_broker,
    message_context,
    ping_broker,
    raw_bodies,
    underlying_producer,
    with_dead_letters,
)
from frontdoor_shared.logging import get_logger
from frontdoor_shared.mongo import make_client, ping
from frontdoor_shared.projection import subscribe_projection
from frontdoor_shared.topics import Topics

from .config import ConfigError, load_directory
from .domain.directory import Directory
from .escalation import (
    OFFERS,
    acceptance_writes,
    due_offers_query,
    escalated,
    escalation_event,
    offer_writes,
    offered_event,
    still_unaccepted,
)
from .first_delivery import RECEIVED, FirstDeliveries
from .handlers import read_received, route_received
from .rulebook import RuleBook
from .settings import RoutingSettings

log = get_logger(__name__)
SERVICE = "routing"


class Outbox:
    """Routing's publishers, all on one transactional producer: what is sent together commits together."""

    def __init__(self, broker: KafkaBroker, topics: Topics, directory: Directory) -> None:
        self.broker = broker
        self.lock = asyncio.Lock()  # one transaction at a time on the producer
        self.routed_topic = topics.contacts_routed
        self.queue_topics = {destination.code: topics.queue(destination.queue) for destination in directory}
        self.routed = broker.publisher(
            topics.contacts_routed,
            title="contacts.routed (published by routing)",
            description="Every routing decision with the contact, keyed by contact id; "
            "consumed by complaints and reporting",
            schema=ContactRoutedEvent,
        )
        self.queues = {
            destination.code: broker.publisher(
                topics.queue(destination.queue),
                title=f"queue.{destination.code} (published by routing)",
                description=f"Contacts for {destination.name} to work, keyed by contact id",
                schema=ContactRoutedEvent,
            )
            for destination in directory
        }
        self.dead_letters = broker.publisher(
            Topics.dead_letters(topics.contacts_received),
            title="contacts.received.dlq (published by routing)",
            description="Messages on contacts.received that could not be routed: original bytes and headers, "
            "with x-dead-letter-reason",
            schema=bytes,
        )

    async def send(
        self,
        events: Sequence[ContactRoutedEvent],
        dead: Sequence[DeadLetter] = (),
        offsets: tuple[dict[TopicPartition, int], str] | None = None,
    ) -> None:
        """Publish decisions to contacts.routed and their queues, and dead letters, in one transaction.

        Sent straight through the producer, without FastStream's per-message publish path: inside a
        transaction nothing is visible until the commit, so there is no acknowledgement to wait for
        message by message. The publishers above declare the same topics for the AsyncAPI document.
        """
        producer = underlying_producer(self.broker)
        async with self.lock, producer.transaction():
            sends = []
            for event in events:
                key = str(event.payload.contact_id).encode()
                headers = [("event-type", event.event_type.encode()), ("event-id", str(event.event_id).encode())]
                value = event.to_bytes()
                sends.append(await producer.send(self.routed_topic, value, key=key, headers=headers))
                queue = self.queue_topics[event.payload.destination]
                sends.append(await producer.send(queue, value, key=key, headers=headers))
            for letter in dead:
                headers = [(name, value.encode()) for name, value in letter.headers.items()]
                sends.append(await producer.send(letter.topic, letter.value, key=letter.key, headers=headers))
            await asyncio.gather(*sends)
            if offsets:
                await producer.send_offsets_to_transaction(*offsets)


def subscribe_received(
    broker: KafkaBroker, outbox: Outbox, rulebook: RuleBook, settings: RoutingSettings, first: FirstDeliveries
) -> None:
    topics, group = settings.topics, settings.group_id(SERVICE)

    @broker.subscriber(
        topics.contacts_received,
        group_id=group,
        batch=True,
        max_records=settings.routing_batch_size,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        session_timeout_ms=10_000,
        ack_policy=AckPolicy.MANUAL,
        decoder=raw_bodies,
        include_in_schema=False,  # documented by the publisher: routing parses the bytes itself
    )
    async def on_contacts_received(body: NoCast[list[bytes]], message: KafkaMessage) -> None:
        """Route a batch in one Kafka transaction: outputs and consumed offsets commit together or not at all."""
        records = message.raw_message
        received, invalid = read_received(records, group)
        try:
            repeats = await first.repeats([(item.record, item.event.event_id) for item in received])
        except Exception:
            log.exception("could not tell repeated contacts; the batch will be redelivered", size=len(records))
            await message.nack()
            await asyncio.sleep(1)
            return
        fresh = []
        for item in received:
            if item.position in repeats:
                with message_context(item.record):
                    log.info("contact received again (same event id): not routed again")
            else:
                fresh.append(item)
        routed, failed = route_received(fresh, rulebook.current, topics, group)
        dead = sorted(invalid + failed, key=lambda letter: (letter.record.partition, letter.record.offset))
        for letter in dead:
            with message_context(letter.record):
                log.warning("contact dead-lettered", reason=letter.reason)
        try:
            await outbox.send([item.event for item in routed], dead, (_next_offsets(records), group))
        except ProducerFenced:
            log.critical("a newer routing instance with the same name has taken over; stopping")
            raise SystemExit(1) from None
        except Exception:
            log.exception("routing batch failed; it will be redelivered", size=len(records))
            await message.nack()
            await asyncio.sleep(1)
            return
        for item in routed:
            event = item.event
            with message_context(
                item.record, event_id=str(event.causation_id), correlation_id=str(event.correlation_id)
            ):
                log.info(
                    "contact routed",
                    contact_id=str(event.payload.contact_id),
                    destination=event.payload.destination,
                    rule_id=event.payload.rule_id,
                    routed_event_id=str(event.event_id),
                )


def _next_offsets(records: Any) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        offsets[partition] = max(offsets.get(partition, 0), record.offset + 1)
    return offsets


class EscalationWatch:
    """Offers due and not accepted are escalated to their next target; survives restarts via MongoDB."""

    def __init__(self, offers: Any, outbox: Outbox, directory: Directory, topics: Topics) -> None:
        self.offers, self.outbox, self.directory, self.topics = offers, outbox, directory, topics

    async def check(self, now: datetime | None = None) -> int:
        """Escalate what is due now; returns how many contacts were offered to their next target."""
        now = now or datetime.now(UTC)
        escalations: list[ContactRoutedEvent] = []
        closed: list[UpdateOne] = []
        async for offer in self.offers.find(due_offers_query(now)).limit(500):
            previous = offered_event(offer)
            nxt = escalated(previous.payload, self.directory, self.topics, now) if still_unaccepted(offer) else None
            if nxt is None:
                closed.append(UpdateOne({"_id": offer["_id"], "step": offer["step"]}, {"$set": {"open": False}}))
            else:
                escalations.append(escalation_event(previous, nxt))
        if escalations:
            await self.outbox.send(escalations)
            for event in escalations:
                log.info(
                    "contact escalated",
                    contact_id=str(event.payload.contact_id),
                    correlation_id=str(event.correlation_id),
                    destination=event.payload.destination,
                    escalation_step=event.payload.escalation_step,
                )
        writes = closed + [write for event in escalations for write in offer_writes(event)]
        if writes:
            await self.offers.bulk_write(writes, ordered=False)
        return len(escalations)

    async def run(self, every_seconds: float) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.check()
            except Exception:
                log.exception("escalation check failed; will retry")


def create_app(settings: RoutingSettings) -> FastAPI:
    topics, group = settings.topics, settings.group_id(SERVICE)
    directory = load_directory(settings.routing_directory_path)
    rulebook = RuleBook(settings.routing_rules_path, directory)
    mongo = make_client(settings, SERVICE)
    offers = mongo[settings.mongodb_database][OFFERS]

    broker = make_broker(settings, SERVICE, transactional_id=settings.transactional_id)
    outbox = Outbox(broker, topics, directory)
    first_deliveries = FirstDeliveries(mongo[settings.mongodb_database][RECEIVED])
    subscribe_received(broker, outbox, rulebook, settings, first_deliveries)

    # Offers and acceptances are projected by a second, plain (non-transactional) broker.
    offers_broker = make_broker(settings, f"{SERVICE}-offers")
    offers_broker.publisher(
        topics.contacts_accepted,
        title="contacts.accepted (published by departmental teams)",
        description="A department or partner agency has taken a contact from its queue; "
        "consumed by routing, which stops escalating it",
        schema=ContactAcceptedEvent,
    )
    common = {
        "service": SERVICE,
        "collection": offers,
        "batch_size": settings.routing_batch_size,
        "max_delivery_attempts": settings.max_delivery_attempts,
    }
    subscribe_projection(
        offers_broker,
        topic=topics.contacts_routed,
        consumer_group=f"{group}-offers",
        event=ContactRoutedEvent,
        writes_for=offer_writes,
        **common,
    )
    subscribe_projection(
        offers_broker,
        topic=topics.contacts_accepted,
        consumer_group=f"{group}-acceptances",
        event=ContactAcceptedEvent,
        writes_for=acceptance_writes,
        **common,
    )
    watch = EscalationWatch(offers, outbox, directory, topics)

    async def watch_rules_file() -> None:
        while True:
            await asyncio.sleep(settings.routing_reload_seconds)
            rulebook.reload_if_changed()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        names = [
            topics.contacts_received,
            topics.contacts_routed,
            topics.contacts_accepted,
            *(topics.queue(d.queue) for d in directory),
        ]
        await ensure_topics(settings, with_dead_letters(names))
        await offers.create_index([("open", 1), ("due_by", 1)])
        await first_deliveries.prepare()
        await broker.start()
        await offers_broker.start()
        tasks = [
            asyncio.create_task(watch_rules_file()),
            asyncio.create_task(watch.run(settings.routing_escalation_check_seconds)),
            asyncio.create_task(
                first_deliveries.run(settings.routing_repeat_window_days, settings.routing_repeat_sweep_seconds)
            ),
        ]
        log.info("routing started", rules_version=rulebook.current.version, destinations=len(directory))
        yield
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await offers_broker.stop()
        await broker.stop()
        await mongo.close()
        log.info("routing stopped")

    app = FastAPI(title="Frontdoor routing", lifespan=lifespan)
    app.include_router(
        health_router(
            {
                "kafka": partial(ping_broker, broker),
                "kafka_offers": partial(ping_broker, offers_broker),
                "mongodb": partial(ping, mongo),
            }
        )
    )

    @app.get("/v1/rules", tags=["rules"])
    async def rules_in_force() -> dict[str, object]:
        """The rules version in force, when it was loaded, and why the last reload failed, if it did."""
        return rulebook.status()

    @app.post("/v1/rules/reload", tags=["rules"])
    async def reload_rules() -> dict[str, object]:
        """Load the rules file again now; a bad file is refused and the rules in force stay."""
        try:
            rulebook.reload()
        except ConfigError as error:
            raise HTTPException(422, detail={"error": str(error), **rulebook.status()}) from None
        return rulebook.status()

    app.state.broker = broker
    app.state.offers_broker = offers_broker
    app.state.rulebook = rulebook
    app.state.escalation = watch
    app.state.mongo = mongo
    return app
