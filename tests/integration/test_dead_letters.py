"""`frontdoor dlq`: dead letters listed with their reasons and replayed once after a fix."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from faststream.kafka import KafkaBroker

from frontdoor_complaints.app import create_app as complaints_app
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_deploy import dead_letters
from frontdoor_intake.app import create_app as intake_app
from frontdoor_intake.settings import IntakeSettings
from frontdoor_routing.app import create_app
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import (
    CallEvent,
    CallEventPayload,
    Channel,
    ComplaintEvent,
    ComplaintEventPayload,
    ContactAccepted,
    ContactAcceptedEvent,
    ContactKind,
    ContactReceivedEvent,
    Envelope,
    HubVisitEvent,
    HubVisitPayload,
    SurveyResponseEvent,
    SurveyResponsePayload,
)
from frontdoor_shared.topics import Topics
from tests.factories import a_contact, a_routed_event
from tests.kafka_tools import header, produce, read_topics

routing_app = create_app


async def test_dead_letters_are_listed_and_replayed_once(namespace):
    settings = namespace.settings(RoutingSettings, routing_instance="dlq")
    topics = settings.topics
    dlq = Topics.dead_letters(topics.contacts_received)
    bootstrap = namespace.infra.kafka_bootstrap_servers
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await produce(
            bootstrap, topics.contacts_received, [(b"a", b"{broken"), (b"b", b"[]")], headers=[("source", b"scanner")]
        )
        await read_topics(bootstrap, [dlq], expect=2, idle_seconds=1)
    count, reasons = await dead_letters.summary(bootstrap, dlq)
    assert count == 2 and sum(reasons.values()) == 2
    assert all(reason.startswith("not a valid ContactReceivedEvent") for reason in reasons)

    assert await dead_letters.replay(bootstrap, dlq) == 2
    assert await dead_letters.replay(bootstrap, dlq) == 0, "what was replayed is not replayed again"
    back = await read_topics(bootstrap, [topics.contacts_received], expect=4, idle_seconds=1)
    replayed = [r for r in back if any(k == "x-replayed-from" for k, _ in r.headers)]
    assert sorted(r.value for r in replayed) == [b"[]", b"{broken"]
    assert all(dict(r.headers)["source"] == b"scanner" for r in replayed)
    assert not any(k.startswith("x-dead-letter-") for r in replayed for k, _ in r.headers)


# ---------------------------------------------------------------------------------------------------------------
# Hostile messages on every consumed topic, for every service that consumes it


def _good_events() -> dict[str, Envelope]:
    """One valid event for each topic a service consumes, by the topic's name without its prefix."""
    contact = a_contact(channel=Channel.OPEN311, channel_reference="fuzz:1", kind=ContactKind.COMPLAINT)
    routed = a_routed_event(ContactKind.COMPLAINT, "complaints_team", channel=Channel.OPEN311)
    case_id = routed.payload.contact_id
    at = datetime.now(UTC)
    return {
        "contacts.received": ContactReceivedEvent.new(contact, producer="fuzz"),
        "contacts.routed": routed,
        "contacts.accepted": ContactAcceptedEvent.new(
            ContactAccepted(contact_id=case_id, destination="complaints_team", accepted_by="team", accepted_at=at),
            producer="fuzz",
        ),
        "complaints.events": ComplaintEvent.new(
            ComplaintEventPayload(
                case_id=uuid.uuid4(), action="logged", at=at, procedure="corporate", department="complaints_team"
            ),
            producer="fuzz",
        ),
        "telephony.calls": CallEvent.new(
            CallEventPayload(call_id="c-fuzz", event="offered", at=at, queue="waste"), producer="fuzz"
        ),
        "hubs.visits": HubVisitEvent.new(
            HubVisitPayload(visit_id="v-fuzz", event="checked_in", at=at, hub="Compton Centre"), producer="fuzz"
        ),
        "surveys.responses": SurveyResponseEvent.new(
            SurveyResponsePayload(response_id="s-fuzz", method="survey", at=at, score=3), producer="fuzz"
        ),
    }


def _hostile(good: Envelope, other: Envelope) -> list[bytes | None]:
    """Messages that are not the topic's event: broken, empty, binary, nested too deep, another event, near misses."""
    valid = json.loads(good.to_bytes())
    wrong_id = valid | {"event_id": {"$gt": ""}}
    operator_key = valid | {"$where": "sleep(1000)"}
    dotted_key = valid | {"payload.text": "x"}
    in_payload = valid | {"payload": valid["payload"] | {"$set": {"status": "closed"}}}
    too_long = valid | {"producer": "p" * 200_000}
    return [
        None,  # a tombstone
        b"",
        b"{broken",
        b"null",
        b"[]",
        b"\xff\xfe\x00binary",
        b"[" * 100_000,
        other.to_bytes(),  # a valid event of another kind
        *(json.dumps(doc).encode() for doc in (wrong_id, operator_key, dotted_key, in_payload, too_long)),
        json.dumps({k: v for k, v in valid.items() if k != "payload"}).encode(),
    ]


def _consumers(app) -> list[tuple[str, str]]:
    """(topic, consumer group) of every subscriber of every broker the service runs."""
    brokers = [value for value in vars(app.state)["_state"].values() if isinstance(value, KafkaBroker)]
    return sorted(
        {(topic, sub.group_id) for broker in brokers for sub in broker.subscribers for topic in sub.topic_names}
    )


async def _committed_past_everything(bootstrap: str, consumers: list[tuple[str, str]]) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed")
    await admin.start()
    await consumer.start()
    try:
        await consumer.topics()  # metadata for every topic
        for topic, group in consumers:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            ends = await consumer.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            for partition in partitions:
                done = committed.get(partition)
                if ends[partition] and (done is None or done.offset < ends[partition]):
                    return False
        return True
    finally:
        await consumer.stop()
        await admin.close()


def _service_app(name: str, namespace):
    if name == "routing":
        return routing_app(namespace.settings(RoutingSettings, routing_instance="hostile"))
    if name == "complaints":
        return complaints_app(namespace.settings(ComplaintsSettings, deadline_check_seconds=3600))
    if name == "intake":
        return intake_app(namespace.settings(IntakeSettings))
    from frontdoor_reporting.app import create_app as reporting_app
    from frontdoor_reporting.settings import ReportingSettings

    return reporting_app(namespace.settings(ReportingSettings))


@pytest.mark.parametrize("service", ["routing", "complaints", "intake", "reporting"])
async def test_hostile_messages_on_every_consumed_topic_are_dead_lettered_and_the_stream_flows(namespace, service):
    """Every consumer of every topic: each bad message lands once in `<topic>.dlq` with its reason, the good
    message after them is processed, and the group commits past all of them."""
    bootstrap = namespace.infra.kafka_bootstrap_servers
    prefix = namespace.topic_prefix
    app = _service_app(service, namespace)
    consumers = _consumers(app)
    goods = _good_events()
    topics = sorted({topic for topic, _ in consumers})
    unknown = [t for t in topics if t.removeprefix(prefix) not in goods]
    assert not unknown, f"no valid event known for {unknown}: add one to _good_events"
    sent: dict[str, list[bytes | None]] = {}
    async with app.router.lifespan_context(app):
        for topic in topics:
            good = goods[topic.removeprefix(prefix)]
            other = next(e for name, e in goods.items() if type(e) is not type(good))
            sent[topic] = _hostile(good, other)
            forged = [("x-dead-letter-reason", b"forged"), ("source", b"\xffnot-utf8")]
            await produce(bootstrap, topic, [(b"k", value) for value in sent[topic]], headers=forged)
            await produce(bootstrap, topic, [(b"good", good.to_bytes())])
        expected = sum(len(sent[topic]) for topic, _ in consumers)
        dlqs = sorted({Topics.dead_letters(topic) for topic in topics})
        dead = await read_topics(bootstrap, dlqs, expect=expected, idle_seconds=1)
        flowed = await _committed_past_everything(bootstrap, consumers)
        for _ in range(240):
            if flowed:
                break
            await asyncio.sleep(0.25)
            flowed = await _committed_past_everything(bootstrap, consumers)
        if service == "routing":  # the good contact was routed after the bad ones
            routed = await read_topics(bootstrap, [f"{prefix}contacts.routed"], idle_seconds=0.5)
            causes = {json.loads(r.value).get("causation_id") for r in routed if r.key != b"k" and r.key != b"good"}
            assert str(goods["contacts.received"].event_id) in causes
        if service == "complaints":  # the good complaint opened a case after the bad ones
            case = await app.state.store.load(str(goods["contacts.routed"].payload.contact_id))
            for _ in range(240):
                if case[0] is not None:
                    break
                await asyncio.sleep(0.25)
                case = await app.state.store.load(str(goods["contacts.routed"].payload.contact_id))
            assert case[0] is not None

    assert flowed, f"{service}: a consumer group did not commit past the bad messages and the good one"
    for topic, group in consumers:
        mine = [r for r in dead if header(r, "x-dead-letter-consumer-group") == group and r.topic.startswith(topic)]
        assert sorted(r.value for r in mine) == sorted(v or b"" for v in sent[topic]), f"{topic} ({group})"
        for record in mine:
            assert header(record, "x-dead-letter-original-topic") == topic
            reason = header(record, "x-dead-letter-reason")
            assert reason and reason != "forged" and reason.startswith("not a valid"), reason
            assert header(record, "source") == "\\xffnot-utf8", "original headers are kept"
    for topic in topics:
        good = goods[topic.removeprefix(prefix)].to_bytes()
        wrongly = [r for r in dead if r.topic == Topics.dead_letters(topic) and r.value == good]
        assert not wrongly, f"the good message on {topic} was dead-lettered: {[r.headers for r in wrongly]}"
