"""Routing benchmark: decisions per second in-process, and contacts per second through Kafka.

    python -m bench.routing            # full: 5 repeats in-process, 20,000 contacts through Kafka
    python -m bench.routing --short    # quick check

In-process: the default directory and rules deciding a varied set of contacts
(the labelled evaluation set), median of repeats. Through Kafka: contacts
published to contacts.received, routed by the routing service running as its own
process, until every one is on a queue; with the service's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.common import free_port, median, peak_rss_mb, write_results
from frontdoor_deploy.infrastructure import bring_up, forget_namespace
from frontdoor_deploy.services import ServiceProcess
from frontdoor_routing.config import load_directory, load_rules
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived, ContactReceivedEvent
from frontdoor_shared.topics import Topics

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "routing" / "labelled_contacts.jsonl"


def corpus() -> list[ContactReceived]:
    contacts = []
    for line in LABELLED.read_text().splitlines():
        item = json.loads(line)
        contacts.append(
            ContactReceived(
                contact_id=uuid.uuid4(),
                channel=Channel(item["channel"]),
                channel_reference=item["id"],
                kind=ContactKind(item["intake_kind"]),
                subject=item.get("subject"),
                text=item["text"],
                received_at=datetime(2010, 1, 5, 10, tzinfo=UTC),
            )
        )
    return contacts


def in_process(repeats: int, rounds: int) -> dict[str, float]:
    defaults = RoutingSettings()
    rules = load_rules(defaults.routing_rules_path, load_directory(defaults.routing_directory_path))
    contacts = corpus() * rounds
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for contact in contacts:
            rules.decide(contact)
        rates.append(len(contacts) / (time.perf_counter() - started))
    return {"decisions": len(contacts), "repeats": repeats, "decisions_per_second_median": round(median(rates))}


async def through_kafka(count: int) -> dict[str, float]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    infra = bring_up(use_docker=False)
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    topics = Topics(prefix)
    port = free_port()
    routing = ServiceProcess(
        "routing",
        port,
        Path("/tmp") / f"frontdoor-bench-{prefix}",
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
            "TOPIC_PREFIX": prefix,
            "ROUTING_INSTANCE": "bench",
            "LOG_LEVEL": "WARNING",
            "MONGODB_URL": infra.mongodb_url,
            "MONGODB_DATABASE": f"bench_{prefix.rstrip('.')}",
        },
    )
    routing.start()
    try:
        contacts = corpus()
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, acks="all", linger_ms=5)
        await producer.start()
        events = [
            ContactReceivedEvent.new(
                contacts[i % len(contacts)].model_copy(update={"contact_id": uuid.uuid4()}), producer="bench"
            )
            for i in range(count)
        ]
        started = time.perf_counter()
        futures = [
            await producer.send(topics.contacts_received, e.to_bytes(), key=str(e.payload.contact_id).encode())
            for e in events
        ]
        await asyncio.gather(*futures)
        await producer.stop()
        consumer = AIOKafkaConsumer(
            topics.contacts_routed,
            bootstrap_servers=infra.kafka_bootstrap_servers,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=200, max_records=10_000)
            seen += sum(len(records) for records in batch.values())
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"only {seen} of {count} routed after 600 s")
        elapsed = time.perf_counter() - started
        await consumer.stop()
        return {
            "contacts": count,
            "seconds": round(elapsed, 2),
            "contacts_per_second": round(count / elapsed),
            "routing_peak_rss_mb": round(peak_rss_mb(routing.pid()), 1),
        }
    finally:
        routing.stop()
        await forget_namespace(
            infra.kafka_bootstrap_servers, infra.mongodb_url, prefix, [f"bench_{prefix.rstrip('.')}"]
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    results = {
        "in_process": in_process(repeats=3 if args.short else 5, rounds=5 if args.short else 20),
        "through_kafka": asyncio.run(through_kafka(2_000 if args.short else 20_000)),
    }
    path = write_results("routing", results)
    print(
        f"routing decisions in-process: {results['in_process']['decisions_per_second_median']:,} per second "
        f"(median of {results['in_process']['repeats']}; target 20,000)"
    )
    k = results["through_kafka"]
    print(
        f"through Kafka: {k['contacts']:,} contacts in {k['seconds']} s = {k['contacts_per_second']:,} per second; "
        f"routing service peak RSS {k['routing_peak_rss_mb']} MB (target 150 MB)"
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
