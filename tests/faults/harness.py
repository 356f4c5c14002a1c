"""The fault suite's machinery: the four services as processes, the faults, and the reckoning.

- `Stack` runs intake, routing, complaints and reporting as real processes against the suite's
  own broker and stand-in. Complaints and reporting reach MongoDB through `MongoGate`, a TCP
  relay that can cut their connections and refuse new ones for a while: the consumers' database
  unreachable, while intake and routing still reach theirs.
- `FaultInjector` kills each service with SIGKILL at a random moment and restarts it, restarts the
  Kafka broker, restarts the Mongo server and closes the consumers' gate, each at a random point
  of its own slice of the stream. It also notices a service that dies without being killed (a
  crash), records it and starts it again so the run can finish.
- `Reckoning` reads what the system ended with (the reporting `contacts` projection, the
  complaints service's `complaint_cases`, every departmental queue) and compares it with the result
  computed from the same stream without faults by the services' own pure functions: routing's
  rules, the complaints domain and reporting's projection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from pymongo import AsyncMongoClient

from frontdoor_complaints.domain.case import Procedure, open_case
from frontdoor_complaints.domain.working_days import WorkingCalendar
from frontdoor_complaints.handlers import logged_event, step_of
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_complaints.store import CASES, case_to_doc
from frontdoor_deploy.services import ServiceProcess
from frontdoor_reporting.projections import CONTACTS, contact_writes
from frontdoor_routing.config import load_directory, load_rules
from frontdoor_routing.escalation import escalated
from frontdoor_routing.handlers import route
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import ContactReceivedEvent, ContactRoutedEvent
from frontdoor_shared.topics import Topics
from tests.conftest import free_port

from .conftest import OwnInfrastructure
from .stream import intake_env

SERVICES = ("intake", "routing", "complaints", "reporting")
OPERATIONAL = {"projected_at", "routed_at"}
"""Fields that say when a service did its work, not what it decided: left out of every comparison."""


def say(text: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {text}", flush=True)


# ------------------------------------------------------------------------------------------ the gate


class MongoGate:
    """A TCP relay to MongoDB that can be shut for a while: connections cut, new ones refused."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.open = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._cut()

    def shut(self) -> None:
        self.open = False
        self._cut()

    def reopen(self) -> None:
        self.open = True

    def _cut(self) -> None:
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    sink.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._writers -= {writer, upstream_writer}


# ------------------------------------------------------------------------------------------ the stack


@dataclass
class Stack:
    """The four services as processes, in one namespace of the suite's own broker and stand-in."""

    infra: OwnInfrastructure
    run_dir: Path
    run_id: str
    gate: MongoGate
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    @property
    def topics(self) -> Topics:
        return Topics(f"f{self.run_id}.")

    @property
    def database(self) -> str:
        return f"frontdoor_f{self.run_id}"

    def database_of(self, service: str) -> str:
        """Each service keeps its read models in a database of its own."""
        return f"{self.database}_{service}"

    @property
    def smtp_port(self) -> int:
        return int(self.processes["intake"].env["SMTP_PORT"])

    @classmethod
    async def create(cls, infra: OwnInfrastructure, run_dir: Path, run_id: str) -> Stack:
        gate = MongoGate(infra.mongo.port)
        await gate.start()
        stack = cls(infra, run_dir, run_id, gate)
        common = {
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
            "MONGODB_URL": infra.mongodb_url,
            "TOPIC_PREFIX": stack.topics.prefix,
            "CUSTOMER_REF_KEY": "fault-suite-key-not-a-secret-0123",
            "LOG_LEVEL": "INFO",
        }
        own = {
            "intake": intake_env() | {"SMTP_PORT": str(free_port()), "ATTACHMENT_DIR": str(run_dir / "attachments")},
            "routing": {"ROUTING_INSTANCE": "faults"},
            "complaints": {"MONGODB_URL": gate.url},
            "reporting": {"MONGODB_URL": gate.url},
        }
        for name in SERVICES:
            env = common | {"MONGODB_DATABASE": stack.database_of(name)} | own[name]
            stack.processes[name] = ServiceProcess(name, free_port(), run_dir, env)
        return stack

    async def start(self) -> None:
        for name in SERVICES:
            await asyncio.to_thread(self.processes[name].start, 180)

    async def stop(self) -> None:
        for process in self.processes.values():
            await asyncio.to_thread(process.stop)
        await self.gate.stop()

    async def wait_ready(self, bound: float = 300) -> None:
        for process in self.processes.values():
            await asyncio.to_thread(process.wait_ready, bound)

    def log_tail(self, name: str, lines: int = 40) -> str:
        return self.processes[name]._log_tail(lines)


def terminate(process: ServiceProcess, bound: float = 90) -> int | None:
    """SIGTERM, then wait for the process to exit by itself; its exit status, or None if it had to be killed."""
    pid = process.pid()
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + bound
    status: int | None = None
    while time.monotonic() < deadline:
        finished, raw = os.waitpid(pid, os.WNOHANG)
        if finished:
            status = os.waitstatus_to_exitcode(raw)
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    process._pidfile.unlink(missing_ok=True)
    return status


# ------------------------------------------------------------------------------------------ faults


@dataclass
class Fault:
    name: str
    act: Callable[[], Any]


@dataclass
class FaultLog:
    injected: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


class FaultInjector:
    """Runs each fault at a random point of its own slice of the stream, while the stream flows."""

    def __init__(self, stack: Stack, seed: int, outage_seconds: float = 8.0) -> None:
        self.stack = stack
        self.rng = random.Random(seed)
        self.outage_seconds = outage_seconds
        self.log = FaultLog()
        self.expected_down: set[str] = set()
        self.points: list[int] = []
        self.done = 0
        self.total = 0

    def plan(self) -> list[Fault]:
        faults = [Fault(f"kill -9 {name}", lambda name=name: self.kill(name)) for name in SERVICES]
        faults += [
            Fault("restart Kafka broker", self.restart_kafka),
            Fault("restart Mongo server", self.restart_mongo),
            Fault(f"consumers' database unreachable for {self.outage_seconds:g}s", self.consumer_outage),
        ]
        self.rng.shuffle(faults)
        return faults

    def schedule(self, count: int, total: int) -> None:
        """Fault k fires at a random point of slice k of the stream."""
        slices = [(0.05 + 0.85 * k / count, 0.05 + 0.85 * (k + 1) / count) for k in range(count)]
        self.points = [int(total * self.rng.uniform(low, high)) for low, high in slices]
        self.done = 0
        self.total = total

    def limit(self) -> int:
        """How far the stream may go now: not past the next fault's point while a fault is still under way,
        so that every fault strikes while contacts flow."""
        upcoming = self.done + 1
        return self.points[upcoming] if upcoming < len(self.points) else self.total

    async def run(self, faults: list[Fault], progress: Callable[[], int], total: int) -> None:
        if len(self.points) != len(faults):
            self.schedule(len(faults), total)
        for index, fault in enumerate(faults):
            while progress() < self.points[index]:  # noqa: ASYNC110 - progress is a counter, not an event
                await asyncio.sleep(0.05)
            await asyncio.sleep(self.rng.uniform(0, 1.0))
            say(f"fault {index + 1}/{len(faults)}: {fault.name} (at {progress()} of {total} contacts taken)")
            await fault.act()
            self.log.injected.append(fault.name)
            self.done = index + 1

    async def kill(self, name: str) -> None:
        process = self.stack.processes[name]
        self.expected_down.add(name)
        try:
            await asyncio.to_thread(process.kill)
            await asyncio.sleep(self.rng.uniform(0.2, 2.0))
            await asyncio.to_thread(process.start, 300)
        finally:
            self.expected_down.discard(name)

    async def restart_kafka(self) -> None:
        kafka = self.stack.infra.kafka
        await asyncio.to_thread(kafka.stop)
        await asyncio.sleep(self.rng.uniform(0.5, 2.0))
        await asyncio.to_thread(kafka.start, 180)
        await self.stack.wait_ready()

    async def restart_mongo(self) -> None:
        mongo = self.stack.infra.mongo
        await asyncio.to_thread(mongo.stop)
        await asyncio.sleep(self.rng.uniform(0.5, 2.0))
        await asyncio.to_thread(mongo.start, 120)
        await self.stack.wait_ready()

    async def consumer_outage(self) -> None:
        self.stack.gate.shut()
        await asyncio.sleep(self.outage_seconds)
        self.stack.gate.reopen()
        await self.stack.wait_ready()

    async def watch_for_crashes(self) -> None:
        """A service that exits without being killed is a crash: record it, start it again."""
        while True:
            await asyncio.sleep(1)
            for name, process in self.stack.processes.items():
                if name in self.expected_down or not process._pidfile.exists():
                    continue
                try:  # reap it if it has exited: a dead child stays a zombie, which kill(pid, 0) still finds
                    finished, _ = os.waitpid(int(process._pidfile.read_text()), os.WNOHANG)  # noqa: ASYNC222
                except (ChildProcessError, ValueError, OSError):
                    finished = 0 if process.pid() is not None else 1
                if not finished or name in self.expected_down:
                    continue
                process._pidfile.unlink(missing_ok=True)
                tail = self.stack.log_tail(name, 15)
                self.log.crashes.append(f"{name} exited by itself:\n{tail}")
                say(f"CRASH: {name} exited without being killed; restarting it\n{tail}")
                await asyncio.to_thread(process.start, 300)


# ------------------------------------------------------------------------------------------ observing


async def read_all(bootstrap: str, topics: list[str]) -> list[Any]:
    """Every committed record on the topics, up to their ends as they are now."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        waiting = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        while waiting:
            batch = await consumer.getmany(*waiting, timeout_ms=500, max_records=5000)
            for got in batch.values():
                records.extend(got)
            # a partition that ends in a transaction marker returns no record for it, yet is done
            waiting = {tp for tp in waiting if await consumer.position(tp) < ends[tp]}
        return records
    finally:
        await consumer.stop()


async def group_lag(bootstrap: str, group: str, topic: str) -> int:
    """Messages on `topic` the consumer group has not committed yet (markers included)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(partitions)
        return sum(max(0, ends[tp] - (committed[tp].offset if tp in committed else 0)) for tp in partitions)
    finally:
        await consumer.stop()
        await admin.close()


def _normal(value: Any) -> Any:
    """Values as MongoDB keeps them: datetimes in UTC to the millisecond, tuples as lists."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


@dataclass
class Expected:
    """The result of the stream without faults, from the services' own pure functions."""

    contacts: dict[str, dict[str, Any]]
    cases: dict[str, dict[str, Any]]
    decisions: dict[str, str]
    """routed event id -> the queue topic that decision goes to"""
    escalations: int = 0


def expected_from(
    first_received: dict[str, ContactReceivedEvent],
    escalations: dict[str, list[ContactRoutedEvent]],
    topics: Topics,
) -> Expected:
    """Route each contact as routing would; `escalations` are the later offers routing made on its timer.

    Escalation depends on the clock, not on the stream, so the escalations are taken from
    contacts.routed; each must follow from the decision before it, and the contacts projection
    must show the latest.
    """
    routing = RoutingSettings()
    directory = load_directory(routing.routing_directory_path)
    rules = load_rules(routing.routing_rules_path, directory)
    complaints = ComplaintsSettings()
    zone = ZoneInfo(complaints.council_timezone)
    calendar = WorkingCalendar(complaints.council_closure_days)
    expected = Expected({}, {}, {})
    for contact_id, received in first_received.items():
        routed = route(received, rules, topics, datetime.now(UTC)).event
        expected.decisions[str(routed.event_id)] = routed.payload.queue
        latest = routed
        for later in sorted(escalations.get(contact_id, ()), key=lambda e: e.payload.escalation_step):
            following = escalated(latest.payload, directory, topics, later.payload.routed_at)
            if following is None or following.destination != later.payload.destination:
                continue  # not an escalation of this decision: the comparison reports it as unexpected
            expected.decisions[str(later.event_id)] = following.queue
            expected.escalations += 1
            latest = later
        [write] = contact_writes(latest, zone=zone)
        doc = write._doc["$set"] | {"_id": write._filter["_id"]}
        expected.contacts[contact_id] = {k: _normal(v) for k, v in doc.items() if k not in OPERATIONAL}
        logged = logged_event(routed, complaints.statutory_teams)
        if logged is not None:
            payload = logged.payload
            step = step_of(payload, zone)
            case = open_case(
                contact_id,
                Procedure(payload.procedure) if payload.procedure else None,
                payload.department or "customer_services",
                payload.category,
                step.on,
            )
            case_doc = case_to_doc(case, calendar) | {"applied_event_ids": [str(logged.event_id)], "targets": []}
            expected.cases[contact_id] = _normal(case_doc | {"version": 1})
    return expected


@dataclass
class Tally:
    expected: int
    found: int
    lost: int
    duplicated: int
    unexpected: int
    mismatched: int
    examples: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.found == self.expected and not (self.lost or self.duplicated or self.unexpected or self.mismatched)


def compare_documents(
    expected: dict[str, dict[str, Any]], found: list[dict[str, Any]], ignore: set[str] = OPERATIONAL
) -> Tally:
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in found:
        by_id[str(doc["_id"])].append(doc)
    lost = [key for key in expected if key not in by_id]
    unexpected = [key for key in by_id if key not in expected]
    duplicated = sum(len(docs) - 1 for docs in by_id.values())
    mismatched, examples = 0, []
    for key, want in expected.items():
        if key not in by_id:
            continue
        got = {k: _normal(v) for k, v in by_id[key][0].items() if k not in ignore}
        if got != want:
            mismatched += 1
            if len(examples) < 5:
                differ = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
                examples.append(f"{key}: " + "; ".join(f"{k}: {got.get(k)!r} != {want.get(k)!r}" for k in differ))
    examples += [f"lost {key}" for key in lost[:5]] + [f"unexpected {key}" for key in unexpected[:5]]
    return Tally(len(expected), len(found), len(lost), duplicated, len(unexpected), mismatched, examples)


def compare_queues(expected: dict[str, str], records: list[Any]) -> Tally:
    """Each decision (a routed event id) exactly once, in its own queue."""
    seen: dict[str, list[str]] = defaultdict(list)
    for record in records:
        event = ContactRoutedEvent.model_validate_json(record.value)
        seen[str(event.event_id)].append(record.topic)
    lost = [key for key in expected if key not in seen]
    unexpected = [key for key in seen if key not in expected]
    duplicated = sum(len(got) - 1 for got in seen.values())
    misplaced = [key for key, queue in expected.items() if key in seen and set(seen[key]) != {queue}]
    examples = [f"decision {key} lost" for key in lost[:5]]
    examples += [f"decision {key} {len(got)} times: {got}" for key, got in seen.items() if len(got) > 1][:5]
    examples += [f"decision {key} in {seen[key]}, expected {expected[key]}" for key in misplaced[:5]]
    examples += [f"decision {key} not expected, in {seen[key]}" for key in unexpected[:5]]
    return Tally(len(expected), len(records), len(lost), duplicated, len(unexpected), len(misplaced), examples)


@dataclass
class Reckoning:
    pushed: int
    faults: FaultLog
    contacts: Tally
    cases: Tally
    queues: Tally
    received_duplicates: int
    escalations: int
    channels: dict[str, int]
    seconds: float

    @property
    def clean(self) -> bool:
        return self.contacts.clean and self.cases.clean and self.queues.clean and not self.faults.crashes

    def table(self) -> str:
        rows = [
            f"contacts pushed: {self.pushed} across {len(self.channels)} channels {dict(sorted(self.channels.items()))}",
            f"faults injected: {len(self.faults.injected)} ({'; '.join(self.faults.injected)}); "
            f"crashes: {len(self.faults.crashes)}",
            f"repeats on contacts.received (intake retries, same event id): {self.received_duplicates}; "
            f"escalations routing made on its timer: {self.escalations}",
            f"{'':24}{'expected':>9}{'found':>9}{'lost':>7}{'duplicated':>12}{'unexpected':>12}{'mismatched':>12}",
        ]
        for name, tally in (
            ("contacts projection", self.contacts),
            ("complaint_cases", self.cases),
            ("queue messages", self.queues),
        ):  # queue messages: one per decision (first routing, and each escalation)
            rows.append(
                f"{name:24}{tally.expected:>9}{tally.found:>9}{tally.lost:>7}{tally.duplicated:>12}"
                f"{tally.unexpected:>12}{tally.mismatched:>12}"
            )
        rows.append(f"took {self.seconds:.0f}s")
        for name, tally in (("contacts", self.contacts), ("cases", self.cases), ("queues", self.queues)):
            rows += [f"  {name}: {example}" for example in tally.examples]
        return "\n".join(rows)

    def as_dict(self) -> dict[str, Any]:
        def tally(t: Tally) -> dict[str, int]:
            return {k: getattr(t, k) for k in ("expected", "found", "lost", "duplicated", "unexpected", "mismatched")}

        return {
            "pushed": self.pushed,
            "channels": self.channels,
            "faults_injected": self.faults.injected,
            "crashes": len(self.faults.crashes),
            "received_duplicates": self.received_duplicates,
            "escalations": self.escalations,
            "contacts": tally(self.contacts),
            "complaint_cases": tally(self.cases),
            "queues": tally(self.queues),
            "seconds": round(self.seconds),
        }


async def settle(stack: Stack, pushed_ids: set[str], expected_cases: Callable[[], int], bound: float) -> None:
    """Wait (up to `bound` seconds) until routing has read everything and both projections are complete.

    Not an assertion: if something was lost the projections never complete, and the comparison
    that follows says what is missing.
    """
    bootstrap = stack.infra.bootstrap
    topics, prefix = stack.topics, stack.topics.prefix
    client = AsyncMongoClient(stack.infra.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=5000)
    deadline = time.monotonic() + bound
    try:
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                lag = await group_lag(bootstrap, f"{prefix}frontdoor-routing", topics.contacts_received)
                contacts = await client[stack.database_of("reporting")][CONTACTS].count_documents({})
                cases = await client[stack.database_of("complaints")][CASES].count_documents({})
                if lag == 0 and contacts >= len(pushed_ids) and cases >= expected_cases():
                    return
            await asyncio.sleep(2)
        say(f"gave up waiting after {bound:.0f}s; comparing what there is")
    finally:
        await client.close()


async def reckon(
    stack: Stack, pushed: dict[int, Any], faults: FaultLog, channels: Counter[str], started: float, bound: float
) -> Reckoning:
    bootstrap, topics = stack.infra.bootstrap, stack.topics
    pushed_ids = {str(contact_id) for contact_id in pushed.values()}

    async def inputs() -> tuple[dict[str, ContactReceivedEvent], int, dict[str, list[ContactRoutedEvent]]]:
        """The first contacts.received event of each contact, how many repeats, and routing's escalations."""
        records = await read_all(bootstrap, [topics.contacts_received])
        records.sort(key=lambda r: (r.partition, r.offset))
        first: dict[str, ContactReceivedEvent] = {}
        repeats = 0
        for record in records:
            event = ContactReceivedEvent.model_validate_json(record.value)
            key = str(event.payload.contact_id)
            if key in first:
                repeats += 1
            elif key in pushed_ids:
                first[key] = event
        escalations: dict[str, list[ContactRoutedEvent]] = defaultdict(list)
        for record in await read_all(bootstrap, [topics.contacts_routed]):
            event = ContactRoutedEvent.model_validate_json(record.value)
            if event.payload.escalation_step > 0:
                escalations[str(event.payload.contact_id)].append(event)
        return first, repeats, escalations

    first, repeats, escalations = await inputs()
    cases_wanted = len(expected_from(first, {}, topics).cases)
    await settle(stack, pushed_ids, lambda: cases_wanted, bound)
    await asyncio.sleep(5)  # anything still on its way that would be a duplicate gets its chance to land
    first, repeats, escalations = await inputs()
    expected = expected_from(first, escalations, topics)
    for key in pushed_ids - set(first):  # taken by intake, never on contacts.received: lost
        expected.contacts[key] = {"_id": key, "lost": "never reached contacts.received"}
        expected.decisions[f"first decision on {key}"] = "(never received)"

    client = AsyncMongoClient(stack.infra.mongodb_url, tz_aware=True)
    try:
        contacts = [doc async for doc in client[stack.database_of("reporting")][CONTACTS].find({})]
        cases = [doc async for doc in client[stack.database_of("complaints")][CASES].find({})]
    finally:
        await client.close()
    directory = load_directory(RoutingSettings().routing_directory_path)
    queue_topics = sorted({topics.queue(destination.queue) for destination in directory})
    queued = await read_all(bootstrap, queue_topics)
    return Reckoning(
        pushed=len(pushed_ids),
        faults=faults,
        contacts=compare_documents(expected.contacts, contacts),
        cases=compare_documents(expected.cases, cases, ignore=set()),
        queues=compare_queues(expected.decisions, queued),
        received_duplicates=repeats,
        escalations=expected.escalations,
        channels=dict(channels),
        seconds=time.monotonic() - started,
    )


def write_report(reckoning: Reckoning, path: str | None) -> None:
    if path:
        Path(path).write_text(json.dumps(reckoning.as_dict(), indent=2) + "\n")
