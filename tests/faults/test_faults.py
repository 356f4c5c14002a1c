"""Nothing lost, nothing counted twice, while every kind of fault strikes the running system.

A known stream of contacts (every channel, with complaints, statutory complaints and compliments
that open cases) is pushed into intake while, each at a random point of its own slice of the
stream, the suite kills -9 each service and restarts it, restarts the Kafka broker, restarts the
Mongo server, and cuts the consumers off from their database for a while. Afterwards the reporting
`contacts` projection, the complaints service's `complaint_cases` and every departmental queue
must equal the result of the same stream without faults.

Size: FAULTS_CONTACTS (default 3,000: the short form that runs with `make test`); `make faults`
runs 100,000. FAULTS_SEED picks the stream and the moments of the faults; FAULTS_REPORT names a
file for the figures as JSON.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from .harness import FaultInjector, Stack, reckon, say, write_report
from .stream import Pusher, make_stream

pytestmark = pytest.mark.faults
SIZE = int(os.environ.get("FAULTS_CONTACTS", "3000"))
SEED = int(os.environ.get("FAULTS_SEED", "8"))


async def test_nothing_is_lost_or_counted_twice_under_faults(own_infrastructure, tmp_path, capsys):
    run_id = uuid.uuid4().hex[:8]
    stack = await Stack.create(own_infrastructure, tmp_path / "run", run_id)
    injector = FaultInjector(stack, SEED)
    try:
        await stack.start()
        items = make_stream(SIZE, SEED, run_id)
        plan = injector.plan()
        injector.schedule(len(plan), SIZE)
        pusher = Pusher(stack.processes["intake"].url, stack.smtp_port, limit=injector.limit)
        started = time.monotonic()
        say(f"pushing {SIZE} contacts (seed {SEED}) into namespace {stack.topics.prefix}")
        crashes = asyncio.create_task(injector.watch_for_crashes())
        faults = asyncio.create_task(injector.run(plan, lambda: pusher.report.pushed, SIZE))
        pushed = await pusher.push(items)
        say(f"all {pushed.pushed} contacts taken by intake ({pushed.retries} retries); waiting for the faults")
        await faults
        say("faults done; waiting for the system to settle")
        reckoning = await reckon(
            stack, pushed.contact_ids, injector.log, pushed.by_channel, started, bound=300 + SIZE / 50
        )
        crashes.cancel()
    finally:
        await stack.stop()
    with capsys.disabled():
        print("\n" + reckoning.table())
    for crash in injector.log.crashes:
        print(crash)
    write_report(reckoning, os.environ.get("FAULTS_REPORT"))

    assert len(set(pushed.contact_ids.values())) == SIZE, "every item of the stream is its own contact"
    assert len(injector.log.injected) == 7, injector.log.injected
    assert not injector.log.crashes, "a service exited without being killed"
    assert reckoning.contacts.clean, reckoning.table()
    assert reckoning.cases.clean, reckoning.table()
    assert reckoning.queues.clean, reckoning.table()
