"""Frontdoor's performance harness: raw Kafka against FastStream, the whole pipeline, latency and memory.

    python -m bench.pipeline            # the full run: 3 repeats, 5 minutes of sustained pipeline load
    python -m bench.pipeline --short    # a quick check: 1 repeat, 20 seconds

It runs against the same real broker and Mongo server the tests use (the stand-in here: its figures are
labelled so), prints a table, and writes bench/results/pipeline.json.

- raw one hop: aiokafka producing and a consumer group consuming the same payloads, nothing else;
- FastStream one hop: the same hop through FastStream with Frontdoor's settings (idempotent producer with
  acks=all, publishing message by message as intake does; a batch subscriber, acknowledged after each batch);
  and the same subscriber fed by the broker's own aiokafka producer, which separates the subscriber's cost
  from FastStream's per-message publish path;
- whole pipeline: contacts.received -> routing (transactions) -> contacts.routed and queues -> the reporting
  projection in MongoDB, sustained; contacts per second at the projection;
- latency: at a steady rate, from the contact's received time to its projection write (p50 / p95 / p99);
- memory: the peak resident memory of the routing and reporting services under that load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.common import free_port, median, peak_rss_mb, write_results
from frontdoor_deploy.infrastructure import bring_up, forget_namespace
from frontdoor_deploy.services import ServiceProcess
from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived, ContactReceivedEvent
from frontdoor_shared.kafka import ensure_topics
from frontdoor_shared.settings import ServiceSettings
from frontdoor_shared.topics import Topics

TEXTS = [
    "Our grey bin on Cardigan Road was not collected on Tuesday because of the snow.",
    "There is a deep pothole outside number 12 Otley Road, a cyclist nearly came off.",
    "How do I apply for the single person council tax discount?",
    "Loud music from the flat above every night until 3am.",
    "Third time I have reported the missed recycling and still nothing has been done.",
]


def contact_event(number: int) -> ContactReceivedEvent:
    contact = ContactReceived(
        contact_id=uuid.uuid4(),
        channel=Channel.WEB,
        channel_reference=f"bench-{number}",
        kind=ContactKind.UNCLASSIFIED,
        subject="Contact",
        text=TEXTS[number % len(TEXTS)],
        customer_ref=f"cust_{number:032x}",
        received_at=datetime.now(UTC),
    )
    return ContactReceivedEvent.new(contact, producer="bench")


async def raw_one_hop(bootstrap: str, topic: str, payloads: list[bytes]) -> float:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )
    await consumer.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    started = time.perf_counter()

    async def produce() -> None:
        futures = [await producer.send(topic, p, key=str(i).encode()) for i, p in enumerate(payloads)]
        await asyncio.gather(*futures)

    sending = asyncio.create_task(produce())
    seen = 0
    while seen < len(payloads):
        batch = await consumer.getmany(timeout_ms=200, max_records=500)
        got = sum(len(records) for records in batch.values())
        if got:
            seen += got
            await consumer.commit()
    elapsed = time.perf_counter() - started
    await sending
    await producer.stop()
    await consumer.stop()
    return len(payloads) / elapsed


async def faststream_one_hop(bootstrap: str, topic: str, payloads: list[bytes], publish: bool = True) -> float:
    """The hop through FastStream; with `publish=False` the messages are produced by the broker's own aiokafka
    producer instead of FastStream's per-message publish path, which isolates the subscriber's cost."""
    from faststream import AckPolicy
    from faststream.kafka import KafkaBroker
    from faststream.kafka.annotations import KafkaMessage
    from faststream.params import NoCast

    from frontdoor_shared.kafka import raw_bodies, underlying_producer

    broker = KafkaBroker(
        bootstrap, acks="all", enable_idempotence=True, linger_ms=5, allow_auto_create_topics=False, logger=None
    )
    done = asyncio.Event()
    seen = 0

    @broker.subscriber(
        topic,
        group_id=f"fs-{uuid.uuid4().hex[:6]}",
        batch=True,
        max_records=500,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        decoder=raw_bodies,
    )
    async def handle(body: NoCast[list[bytes]], message: KafkaMessage) -> None:
        nonlocal seen
        seen += len(message.raw_message)
        await message.ack()
        if seen >= len(payloads):
            done.set()

    publisher = broker.publisher(topic)
    await broker.start()
    started = time.perf_counter()
    if publish:
        futures = [await publisher.publish(p, key=str(i).encode(), no_confirm=True) for i, p in enumerate(payloads)]
    else:
        producer = underlying_producer(broker)
        futures = [await producer.send(topic, p, key=str(i).encode()) for i, p in enumerate(payloads)]
    await asyncio.gather(*futures)
    await done.wait()
    elapsed = time.perf_counter() - started
    await broker.stop()
    return len(payloads) / elapsed


class Pipeline:
    """Routing and reporting running as their own processes, on a namespace of their own."""

    def __init__(self, bootstrap: str, mongodb: str) -> None:
        self.prefix = f"bench{uuid.uuid4().hex[:8]}."
        self.database = f"bench_{self.prefix.rstrip('.')}"
        self.topics = Topics(self.prefix)
        self.bootstrap, self.mongodb = bootstrap, mongodb
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "MONGODB_URL": mongodb,
            "MONGODB_DATABASE": self.database,
            "TOPIC_PREFIX": self.prefix,
            "LOG_LEVEL": "WARNING",
            "ROUTING_INSTANCE": "bench",
        }
        run = Path("/tmp") / f"frontdoor-bench-{self.prefix}"
        self.routing = ServiceProcess("routing", free_port(), run, env)
        self.reporting = ServiceProcess("reporting", free_port(), run, env)

    async def __aenter__(self) -> Pipeline:
        await ensure_topics(
            ServiceSettings(kafka_bootstrap_servers=self.bootstrap, topic_prefix=self.prefix),
            [self.topics.contacts_received],
        )
        self.routing.start()
        self.reporting.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.routing.stop()
        self.reporting.stop()
        await forget_namespace(self.bootstrap, self.mongodb, self.prefix, [self.database])

    def memory(self) -> dict[str, float]:
        return {
            name: round(peak_rss_mb(process.pid()), 1)
            for name, process in (("routing", self.routing), ("reporting", self.reporting))
        }


async def publish_at(bootstrap: str, topic: str, rate: float | None, seconds: float) -> int:
    """Publish contacts for `seconds`, at `rate` per second (None: as fast as they go); returns how many."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    sent, started, pending = 0, time.perf_counter(), []
    try:
        while (elapsed := time.perf_counter() - started) < seconds:
            if rate is not None and sent >= rate * elapsed:
                await asyncio.sleep(0.002)
                continue
            event = contact_event(sent)
            pending.append(await producer.send(topic, event.to_bytes(), key=str(event.payload.contact_id).encode()))
            sent += 1
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def pipeline_throughput(infra, seconds: float) -> dict[str, float]:
    from pymongo import AsyncMongoClient

    async with Pipeline(infra.kafka_bootstrap_servers, infra.mongodb_url) as pipeline:
        contacts = AsyncMongoClient(infra.mongodb_url)[pipeline.database]["contacts"]
        publishing = asyncio.create_task(
            publish_at(infra.kafka_bootstrap_servers, pipeline.topics.contacts_received, None, seconds)
        )
        await asyncio.sleep(seconds * 0.2)  # warm-up: measure the steady part
        first, t0 = await contacts.estimated_document_count(), time.perf_counter()
        await asyncio.sleep(seconds * 0.8)
        last, t1 = await contacts.estimated_document_count(), time.perf_counter()
        sent = await publishing
        memory = pipeline.memory()
    return {
        "seconds": seconds,
        "published": sent,
        "projected_per_second": round((last - first) / (t1 - t0)),
        "published_per_second": round(sent / seconds),
        "peak_rss_mb": memory,
    }


async def latency(infra, rate: float, seconds: float) -> dict[str, float]:
    from pymongo import AsyncMongoClient

    async with Pipeline(infra.kafka_bootstrap_servers, infra.mongodb_url) as pipeline:
        contacts = AsyncMongoClient(infra.mongodb_url, tz_aware=True)[pipeline.database]["contacts"]
        sent = await publish_at(infra.kafka_bootstrap_servers, pipeline.topics.contacts_received, rate, seconds)
        deadline = time.perf_counter() + 120
        while await contacts.count_documents({}) < sent and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        delays = [
            (doc["projected_at"] - doc["received_at"]).total_seconds() * 1000
            async for doc in contacts.find({}, {"projected_at": 1, "received_at": 1})
        ]
        memory = pipeline.memory()
    delays.sort()
    pick = lambda q: round(delays[min(len(delays) - 1, int(q * len(delays)))], 1)  # noqa: E731
    return {
        "rate_per_second": rate,
        "seconds": seconds,
        "sent": sent,
        "projected": len(delays),
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "mean_ms": round(statistics.fmean(delays), 1),
        "peak_rss_mb": memory,
    }


async def run(short: bool) -> dict[str, object]:
    infra = bring_up(use_docker=False)
    repeats = 1 if short else 3
    count = 20_000 if short else 100_000
    payloads = [contact_event(n).to_bytes() for n in range(count)]
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka_bootstrap_servers)
    raw, fast, subscriber = [], [], []
    for _ in range(repeats):
        names = [f"bench.{kind}.{uuid.uuid4().hex[:6]}" for kind in ("raw", "fs", "fssub")]
        await ensure_topics(settings, names)
        raw.append(await raw_one_hop(infra.kafka_bootstrap_servers, names[0], payloads))
        fast.append(await faststream_one_hop(infra.kafka_bootstrap_servers, names[1], payloads))
        subscriber.append(await faststream_one_hop(infra.kafka_bootstrap_servers, names[2], payloads, publish=False))
        await forget_namespace(infra.kafka_bootstrap_servers, infra.mongodb_url, "bench.", [])
    whole = [await pipeline_throughput(infra, 20 if short else 300) for _ in range(repeats)]
    timing = await latency(infra, rate=3000, seconds=10 if short else 60)
    raw_rate, fs_rate, sub_rate = median(raw), median(fast), median(subscriber)
    pipeline_rate = median([w["projected_per_second"] for w in whole])
    return {
        "mode": "short" if short else "full",
        "payload_bytes": round(statistics.fmean(len(p) for p in payloads)),
        "mongo": f"{infra.mongodb_source} ({infra.mongodb_url})",
        "raw_one_hop_per_second": round(raw_rate),
        "faststream_one_hop_per_second": round(fs_rate),
        "faststream_to_raw": round(fs_rate / raw_rate, 2),
        "faststream_subscriber_only_per_second": round(sub_rate),
        "faststream_subscriber_only_to_raw": round(sub_rate / raw_rate, 2),
        "one_hop_runs": {
            "raw": [round(r) for r in raw],
            "faststream": [round(r) for r in fast],
            "faststream_subscriber_only": [round(r) for r in subscriber],
        },
        "pipeline_per_second": pipeline_rate,
        "pipeline_to_raw": round(pipeline_rate / raw_rate, 3),
        "pipeline_runs": whole,
        "latency_at_3000_per_second": timing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="a quick check instead of the full run")
    args = parser.parse_args()
    results = asyncio.run(run(args.short))
    path = write_results("pipeline" if not args.short else "pipeline-short", results)
    t = results["latency_at_3000_per_second"]
    rows = [
        ("raw aiokafka one hop", f"{results['raw_one_hop_per_second']:,}/s", "", ""),
        (
            "FastStream one hop",
            f"{results['faststream_one_hop_per_second']:,}/s",
            f"{results['faststream_to_raw']} of raw",
            ">= 0.7",
        ),
        (
            "FastStream subscriber alone",
            f"{results['faststream_subscriber_only_per_second']:,}/s",
            f"{results['faststream_subscriber_only_to_raw']} of raw",
            "(produced through aiokafka)",
        ),
        (
            "whole pipeline to MongoDB*",
            f"{results['pipeline_per_second']:,}/s",
            f"{results['pipeline_to_raw']} of raw",
            ">= 10,000/s and >= 0.25",
        ),
        (
            "latency at 3,000/s*",
            f"p50 {t['p50_ms']} ms",
            f"p95 {t['p95_ms']} / p99 {t['p99_ms']} ms",
            "p50 <= 10, p99 <= 50 ms",
        ),
        ("peak memory*", ", ".join(f"{k} {v} MB" for k, v in t["peak_rss_mb"].items()), "", "<= 150 MB each"),
    ]
    print(f"\n{'measure':<30} {'figure':<26} {'ratio / spread':<28} target")
    for row in rows:
        print(f"{row[0]:<30} {row[1]:<26} {row[2]:<28} {row[3]}")
    print(f"* MongoDB here: {results['mongo']}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
