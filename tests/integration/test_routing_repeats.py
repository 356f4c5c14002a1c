"""A contact intake publishes twice (killed between Kafka's acknowledgement and marking it published,
then retried by the channel) is routed once: one decision, one queue message, from the first copy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from frontdoor_routing.app import create_app
from frontdoor_routing.first_delivery import RECEIVED, FirstDeliveries
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived, ContactReceivedEvent, ContactRoutedEvent
from tests.kafka_tools import produce, read_topics


async def test_the_same_received_event_published_twice_is_routed_once(namespace):
    settings = namespace.settings(RoutingSettings, routing_instance="repeats")
    topics = settings.topics
    first_seen = datetime.now(UTC) - timedelta(seconds=11)
    contact = ContactReceived(
        contact_id=uuid.uuid4(),
        channel=Channel.WEB,
        channel_reference="repeat-1",
        kind=ContactKind.SERVICE_REQUEST,
        text="My bin was not collected",
        received_at=first_seen,
    )
    first = ContactReceivedEvent.new(contact, producer="intake")
    # intake's retry: the same contact id and event id, mapped again from the form a little later
    again = first.model_copy(update={"payload": contact.model_copy(update={"received_at": datetime.now(UTC)})})
    other = ContactReceivedEvent.new(contact.model_copy(update={"contact_id": uuid.uuid4()}), producer="intake")
    key = str(contact.contact_id).encode()
    bootstrap = namespace.infra.kafka_bootstrap_servers
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await produce(bootstrap, topics.contacts_received, [(key, first.to_bytes())])
        await read_topics(bootstrap, [topics.contacts_routed], expect=1, idle_seconds=0.5)
        await produce(bootstrap, topics.contacts_received, [(key, again.to_bytes()), (key, again.to_bytes())])
        await produce(bootstrap, topics.contacts_received, [(str(other.payload.contact_id).encode(), other.to_bytes())])
        routed = await read_topics(bootstrap, [topics.contacts_routed], expect=2, idle_seconds=2)
        queued = await read_topics(bootstrap, [topics.queue("waste_recycling")], expect=2, idle_seconds=1)

    decisions = [ContactRoutedEvent.model_validate_json(r.value) for r in routed]
    assert sorted(str(d.payload.contact_id) for d in decisions) == sorted(
        [str(contact.contact_id), str(other.payload.contact_id)]
    ), "one decision per contact"
    assert len(queued) == 2, "one queue message per contact"
    [mine] = [d for d in decisions if d.payload.contact_id == contact.contact_id]
    assert mine.payload.contact.received_at == first_seen, "the first copy is the one routed"


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int


async def test_first_deliveries_past_the_repeat_window_are_forgotten(namespace):
    mongo = AsyncMongoClient(namespace.infra.mongodb_url)
    first = FirstDeliveries(mongo[namespace.database][RECEIVED])
    now = datetime.now(UTC)
    old, recent = uuid.uuid4(), uuid.uuid4()
    try:
        legacy = {"_id": str(uuid.uuid4()), "topic": "t", "partition": 0, "offset": 0}  # recorded before seen_at
        await mongo[namespace.database][RECEIVED].insert_one(legacy)
        await first.prepare(now=now - timedelta(days=20))
        assert await first.repeats([(Record("t", 0, 1), old)], now=now - timedelta(days=15)) == set()
        assert await first.repeats([(Record("t", 0, 2), recent)], now=now - timedelta(days=13)) == set()
        assert await first.repeats([(Record("t", 0, 2), recent)], now=now) == set(), "read again at the same place"
        assert await first.repeats([(Record("t", 1, 7), old), (Record("t", 1, 8), recent)], now=now) == {
            ("t", 1, 7),
            ("t", 1, 8),
        }, "both were read before, at other positions"

        assert await first.forget(now - timedelta(days=14)) == 2, "the old position and the one without a time"
        again = [(Record("t", 2, 9), old), (Record("t", 2, 10), recent)]
        assert await first.repeats(again, now=now) == {("t", 2, 10)}, (
            "the old position is forgotten, so its event is taken as first read; the recent one is still a repeat"
        )
        assert await mongo[namespace.database][RECEIVED].count_documents({}) == 2
    finally:
        await mongo.close()
