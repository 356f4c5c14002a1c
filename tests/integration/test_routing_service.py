"""The routing service in-process against the real broker: decisions, dead letters, transactions."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from frontdoor_routing.app import create_app
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived, ContactReceivedEvent, ContactRoutedEvent
from frontdoor_shared.topics import Topics
from tests.kafka_tools import header, produce, read_topics


def received(text: str, kind: ContactKind = ContactKind.SERVICE_REQUEST) -> ContactReceivedEvent:
    contact = ContactReceived(
        contact_id=uuid.uuid4(),
        channel=Channel.WEB,
        channel_reference="it",
        kind=kind,
        text=text,
        received_at=datetime.now(UTC),
    )
    return ContactReceivedEvent.new(contact, producer="test")


async def test_bad_messages_go_to_the_dead_letter_topic_and_the_next_good_one_flows(namespace):
    settings = namespace.settings(RoutingSettings, routing_instance="it")
    topics = settings.topics
    app = create_app(settings)
    good = received("My bin was not collected")
    not_json = b"{this is not json"
    wrong_shape = json.dumps({"event_type": "contact.received", "payload": {"text": 1}}).encode()
    async with app.router.lifespan_context(app):
        bootstrap = namespace.infra.kafka_bootstrap_servers
        await produce(
            bootstrap,
            topics.contacts_received,
            [(b"k1", not_json), (b"k2", wrong_shape)],
            headers=[("source", b"fuzz")],
        )
        await produce(bootstrap, topics.contacts_received, [(str(good.payload.contact_id).encode(), good.to_bytes())])

        dead = await read_topics(bootstrap, [Topics.dead_letters(topics.contacts_received)], expect=2, idle_seconds=1)
        queued = await read_topics(bootstrap, [topics.queue("waste_recycling")], expect=1, idle_seconds=1)

    assert sorted(record.value for record in dead) == sorted([not_json, wrong_shape])
    for record in dead:
        reason = header(record, "x-dead-letter-reason")
        assert reason and reason.startswith("not a valid ContactReceivedEvent")
        assert header(record, "x-dead-letter-original-topic") == topics.contacts_received
        assert header(record, "source") == "fuzz"
    assert "payload.text" in header(next(r for r in dead if r.value == wrong_shape), "x-dead-letter-reason")

    [record] = queued
    routed = ContactRoutedEvent.model_validate_json(record.value)
    assert routed.payload.contact_id == good.payload.contact_id
    assert routed.payload.destination == "waste_recycling"
    assert routed.payload.rules_version == app.state.rulebook.current.version
    assert routed.causation_id == good.event_id and routed.correlation_id == good.correlation_id
    assert record.key == str(good.payload.contact_id).encode()


async def test_topics_are_created_with_the_configured_partitions(namespace):
    settings = namespace.settings(RoutingSettings, routing_instance="it2", topic_partitions=3)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=namespace.infra.kafka_bootstrap_servers)
        await admin.start()
        try:
            described = await admin.describe_topics(
                [settings.topics.contacts_received, settings.topics.queue("police")]
            )
        finally:
            await admin.close()
    assert [len(topic["partitions"]) for topic in described] == [3, 3]
