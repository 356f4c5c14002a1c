"""Reporting at a council's scale: a year of contacts through the projector, then the annual report.

    python -m bench.reporting [--contacts 1000000]

Publishes a council year of routed contacts (every channel, departments and partner agencies,
casework and library contacts, four in five from customers recognised by reference) plus a year
of complaint lifecycle events to Kafka, runs the reporting service as its own process, and measures:
- the projector's events per second, from the first event to the last one written to MongoDB;
- the time to produce the annual report (JSON and HTML) from the projections;
- the reporting service's peak resident memory.
MongoDB figures are against whichever server `frontdoor up` found (the stand-in here: labelled so).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from bench.common import free_port, peak_rss_mb, write_results
from frontdoor_deploy.infrastructure import bring_up, forget_namespace
from frontdoor_deploy.services import ServiceProcess
from frontdoor_shared.contracts import (
    Channel,
    ComplaintEvent,
    ComplaintEventPayload,
    ContactKind,
    ContactReceived,
    ContactRouted,
    ContactRoutedEvent,
    DestinationKind,
    OnBehalfOf,
)
from frontdoor_shared.kafka import ensure_topics
from frontdoor_shared.settings import ServiceSettings
from frontdoor_shared.topics import Topics

YEAR_START = datetime(2009, 4, 1, 8, 0, tzinfo=UTC)
YEAR_SPAN = datetime(2010, 3, 31, 17, 0, tzinfo=UTC) - YEAR_START
"""The council year 2009/10, office hours of its first to its last day."""
DESTINATIONS = [
    ("waste_recycling", "Waste and Recycling", DestinationKind.DEPARTMENT),
    ("highways", "Highways and Streets", DestinationKind.DEPARTMENT),
    ("housing", "Housing", DestinationKind.DEPARTMENT),
    ("council_tax_benefits", "Council Tax and Benefits", DestinationKind.DEPARTMENT),
    ("parking", "Parking Services", DestinationKind.DEPARTMENT),
    ("libraries", "Libraries", DestinationKind.DEPARTMENT),
    ("police", "Police", DestinationKind.PARTNER_AGENCY),
    ("dwp", "Department for Work and Pensions", DestinationKind.PARTNER_AGENCY),
]


def template() -> dict:
    contact = ContactReceived(
        contact_id=uuid.uuid4(),
        channel=Channel.PHONE,
        channel_reference="bench",
        kind=ContactKind.SERVICE_REQUEST,
        text="Bins not collected on our street again this week",
        received_at=YEAR_START,
    )
    routed = ContactRouted(
        contact_id=contact.contact_id,
        destination="waste_recycling",
        destination_name="Waste and Recycling",
        destination_kind=DestinationKind.DEPARTMENT,
        queue="queue.waste_recycling",
        kind=ContactKind.SERVICE_REQUEST,
        priority=40,
        rule_id="bins",
        rules_version="bench",
        reason="bench",
        due_by=YEAR_START + timedelta(days=2),
        routed_at=YEAR_START,
        contact=contact,
    )
    return ContactRoutedEvent.new(routed, producer="bench").model_dump(mode="json")


def contacts(count: int, seed: int = 1) -> list[tuple[bytes, bytes]]:
    """A year of routed contacts as (key, value) messages; built from one template for speed."""
    rng = random.Random(seed)
    base = template()
    channels = [c.value for c in Channel]
    kinds = ["service_request", "service_request", "enquiry", "complaint", "compliment"]
    members = [OnBehalfOf(member_id=f"m{i}", member_name=f"Cllr {i}", ward=f"Ward {i % 12}") for i in range(40)]
    messages = []
    for number in range(count):
        contact_id = str(uuid.UUID(int=rng.getrandbits(128)))
        at = (YEAR_START + YEAR_SPAN * number / count).isoformat()
        code, name, kind = rng.choice(DESTINATIONS)
        channel = rng.choice(channels)
        event = dict(base)
        payload = dict(base["payload"])
        contact = dict(payload["contact"])
        contact.update(contact_id=contact_id, channel=channel, received_at=at, kind=rng.choice(kinds))
        if rng.random() < 0.8:  # four in five from customers intake recognised, some of them back within the week
            contact["customer_ref"] = f"cust_{rng.randrange(count // 4 or 1)}"
        if channel == "library":
            contact["category"] = "library_" + rng.choice(["council_service", "digital_help", "library_only"])
        if channel == "councillor_casework":
            contact["on_behalf_of"] = rng.choice(members).model_dump(mode="json")
        payload.update(
            contact_id=contact_id,
            destination=code,
            destination_name=name,
            destination_kind=kind.value,
            kind=contact["kind"],
            routed_at=at,
            contact=contact,
        )
        event.update(event_id=str(uuid.UUID(int=rng.getrandbits(128))), payload=payload)
        messages.append((contact_id.encode(), json.dumps(event).encode()))
    return messages


def complaints(count: int, seed: int = 2) -> list[tuple[bytes, bytes]]:
    rng = random.Random(seed)
    messages = []
    for number in range(count):
        case_id = uuid.UUID(int=rng.getrandbits(128))
        at = YEAR_START + YEAR_SPAN * number / count
        code = rng.choice(DESTINATIONS[:5])[0]
        steps = [
            ComplaintEventPayload(
                case_id=case_id,
                action="logged",
                at=at,
                procedure="corporate",
                department=code,
                category=rng.choice(["delay", "staff_attitude_conduct", "quality_of_service"]),
            ),
            ComplaintEventPayload(case_id=case_id, action="acknowledged", at=at + timedelta(days=2)),
            ComplaintEventPayload(
                case_id=case_id,
                action="responded",
                at=at + timedelta(days=12),
                outcome=rng.choice(["upheld", "partly_upheld", "not_upheld"]),
            ),
        ]
        for step in steps:
            event = ComplaintEvent.new(step, producer="bench", event_id=uuid.UUID(int=rng.getrandbits(128)))
            messages.append((str(case_id).encode(), event.to_bytes()))
    return messages


async def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=1 << 20,
        compression_type=None,
    )
    await producer.start()
    try:
        pending = []
        for key, value in messages:
            pending.append(await producer.send(topic, value=value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def get(url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=3600) as response:
        body = response.read()
    return time.perf_counter() - started, body


async def run(count: int, complaint_count: int) -> dict[str, object]:
    infra = bring_up(use_docker=False)
    prefix = f"benchrep{uuid.uuid4().hex[:6]}."
    database = f"bench_{prefix.rstrip('.')}"
    topics = Topics(prefix)
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap_servers, topic_prefix=prefix)
    await ensure_topics(settings, [topics.contacts_routed, topics.complaints_events])
    built = time.perf_counter()
    contact_messages = contacts(count)
    complaint_messages = complaints(complaint_count)
    building = time.perf_counter() - built
    await produce(infra.kafka_bootstrap_servers, topics.contacts_routed, contact_messages)
    await produce(infra.kafka_bootstrap_servers, topics.complaints_events, complaint_messages)
    events = len(contact_messages) + len(complaint_messages)
    del contact_messages, complaint_messages
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
        "MONGODB_URL": infra.mongodb_url,
        "MONGODB_DATABASE": database,
        "TOPIC_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
    }
    service = ServiceProcess("reporting", free_port(), Path("/tmp") / f"frontdoor-bench-{prefix}", env)
    mongo = AsyncMongoClient(infra.mongodb_url)
    try:
        started = time.perf_counter()
        service.start()
        db = mongo[database]
        while True:
            projected = await db["contacts"].estimated_document_count()
            cases = await db["complaint_histories"].estimated_document_count()
            if projected >= count and cases >= complaint_count:
                break
            await asyncio.sleep(1)
        # complaint events beyond each case's first are in place too (cases are upserted on the first)
        while True:
            steps = 0
            async for case in db["complaint_histories"].find({}, {"events": 1}):
                steps += len(case.get("events", {}))
            if steps >= 3 * complaint_count:
                break
            await asyncio.sleep(1)
        projecting = time.perf_counter() - started
        json_seconds, body = get(f"{service.url}/v1/reports/annual?year=2009/10")
        report = json.loads(body)
        html_seconds, html = get(f"{service.url}/v1/reports/annual.html?year=2009/10")
        total = next(
            row["contacts"]
            for section in report["sections"]
            for table in section["tables"]
            if table["name"] == "contacts_by_channel"
            for row in table["rows"]
            if row["channel"] == "All channels"
        )
        by_repeat = [
            row
            for section in report["sections"]
            for table in section["tables"]
            if table["name"] == "first_contact_resolution"
            for row in table["rows"]
            if "no repeat contact" in row["channel"]
        ]
        memory = round(peak_rss_mb(service.pid()), 1)
    finally:
        service.stop()
        await mongo.close()
        await forget_namespace(infra.kafka_bootstrap_servers, infra.mongodb_url, prefix, [database])
    return {
        "contacts": count,
        "complaint_events": 3 * complaint_count,
        "mongo": f"{infra.mongodb_source} ({infra.mongodb_url})",
        "building_events_seconds": round(building, 1),
        "projector_events_per_second": round(events / projecting),
        "projecting_seconds": round(projecting, 1),
        "annual_report_json_seconds": round(json_seconds, 1),
        "annual_report_html_seconds": round(html_seconds, 1),
        "annual_report_html_bytes": len(html),
        "contacts_in_report": total,
        "known_customers_contacts": sum(row["of"] for row in by_repeat),
        "known_customers_no_repeat": sum(row["resolved"] for row in by_repeat),
        "reporting_peak_rss_mb": memory,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=None, help="complaint cases (default: 1% of contacts)")
    args = parser.parse_args()
    results = asyncio.run(run(args.contacts, args.complaints or max(args.contacts // 100, 1)))
    path = write_results(f"reporting-{args.contacts}", results)
    if results["contacts_in_report"] != args.contacts:
        print(f"WRONG: the report counts {results['contacts_in_report']:,} contacts, not {args.contacts:,}")
    for name, value in results.items():
        print(f"{name:<32} {value:,}" if isinstance(value, int | float) else f"{name:<32} {value}")
    print(f"results: {path}")
    return 0 if results["contacts_in_report"] == args.contacts else 1


if __name__ == "__main__":
    raise SystemExit(main())
