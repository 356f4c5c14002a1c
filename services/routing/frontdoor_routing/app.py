"""Bootstrap of the routing service: load the rules, wire the broker, serve health."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from aiokafka.errors import ProducerFenced
from aiokafka.structs import TopicPartition
from fastapi import FastAPI, HTTPException
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.params import NoCast

from frontdoor_shared.contracts import ContactRoutedEvent
from frontdoor_shared.health import health_router
from frontdoor_shared.kafka import (
    ensure_topics,
    make_broker,
    message_context,
    ping_broker,
    raw_bodies,
    underlying_producer,
    with_dead_letters,
)
from frontdoor_shared.logging import get_logger
from frontdoor_shared.topics import Topics

from .config import ConfigError, load_directory
from .handlers import route_records
from .rulebook import RuleBook
from .settings import RoutingSettings

log = get_logger(__name__)
SERVICE = "routing"


def build_broker(settings: RoutingSettings, rulebook: RuleBook) -> KafkaBroker:
    topics = settings.topics
    group = settings.group_id(SERVICE)
    broker = make_broker(settings, SERVICE, transactional_id=settings.transactional_id)

    routed_out = broker.publisher(
        topics.contacts_routed,
        title="contacts.routed (published by routing)",
        description="Every routing decision with the contact, keyed by contact id; "
        "consumed by complaints and reporting",
        schema=ContactRoutedEvent,
    )
    queues_out = {
        destination.code: broker.publisher(
            topics.queue(destination.code),
            title=f"queue.{destination.code} (published by routing)",
            description=f"Contacts for {destination.name} to work, keyed by contact id",
            schema=ContactRoutedEvent,
        )
        for destination in rulebook.directory
    }
    dead_letters_out = broker.publisher(
        Topics.dead_letters(topics.contacts_received),
        title="contacts.received.dlq (published by routing)",
        description="Messages on contacts.received that could not be routed: original bytes and headers, "
        "with x-dead-letter-reason",
        schema=bytes,
    )

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
        include_in_schema=False,  # documented by the publisher: a consumer parses the bytes itself
    )
    async def on_contacts_received(body: NoCast[list[bytes]], message: KafkaMessage) -> None:
        """Route a batch in one Kafka transaction: outputs and consumed offsets commit together or not at all."""
        records = message.raw_message
        routed, dead = route_records(records, rulebook.current, topics, group)
        producer = underlying_producer(broker)
        try:
            async with producer.transaction():
                sends = []
                for item in routed:
                    key = str(item.event.payload.contact_id).encode()
                    headers = {"event-type": item.event.event_type, "event-id": str(item.event.event_id)}
                    value = item.event.to_bytes()
                    sends.append(await routed_out.publish(value, key=key, headers=headers, no_confirm=True))
                    sends.append(
                        await queues_out[item.event.payload.destination].publish(
                            value, key=key, headers=headers, no_confirm=True
                        )
                    )
                for letter in dead:
                    with message_context(letter.record):
                        log.warning("contact dead-lettered", reason=letter.reason)
                    sends.append(
                        await dead_letters_out.publish(
                            letter.value, key=letter.key, headers=letter.headers, no_confirm=True
                        )
                    )
                await asyncio.gather(*sends)
                await producer.send_offsets_to_transaction(_next_offsets(records), group)
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

    return broker


def _next_offsets(records: Any) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        offsets[partition] = max(offsets.get(partition, 0), record.offset + 1)
    return offsets


def create_app(settings: RoutingSettings) -> FastAPI:
    directory = load_directory(settings.routing_directory_path)
    rulebook = RuleBook(settings.routing_rules_path, directory)
    broker = build_broker(settings, rulebook)
    topics = settings.topics

    async def watch_rules_file() -> None:
        while True:
            await asyncio.sleep(settings.routing_reload_seconds)
            rulebook.reload_if_changed()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        names = [topics.contacts_received, topics.contacts_routed, *(topics.queue(d.queue) for d in directory)]
        await ensure_topics(settings, with_dead_letters(names))
        await broker.start()
        watcher = asyncio.create_task(watch_rules_file())
        log.info("routing started", rules_version=rulebook.current.version, destinations=len(directory))
        yield
        watcher.cancel()
        await broker.stop()
        log.info("routing stopped")

    app = FastAPI(title="Frontdoor routing", lifespan=lifespan)
    app.include_router(health_router({"kafka": partial(ping_broker, broker)}))

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
    app.state.rulebook = rulebook
    return app
