"""A service stops promptly on SIGTERM even while a browser holds its live dashboard open."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx

from frontdoor_deploy.services import ServiceProcess
from tests.conftest import free_port

GRACEFUL_TIMEOUT = 30
"""uvicorn's graceful timeout in `run_service`: how long an open response could otherwise hold the stop."""


async def test_an_open_dashboard_stream_ends_when_reporting_is_stopped(namespace, tmp_path):
    service = ServiceProcess("reporting", free_port(), tmp_path, namespace.env())
    service.start()
    try:
        async with (
            httpx.AsyncClient(timeout=GRACEFUL_TIMEOUT * 2) as client,
            client.stream("GET", f"{service.url}/v1/reports/live") as stream,
        ):
            lines = stream.aiter_lines()
            assert await anext(lines) == "event: snapshot"
            asked = time.monotonic()
            stopping = asyncio.create_task(asyncio.to_thread(service.stop, signal.SIGTERM, GRACEFUL_TIMEOUT * 2))
            async for _ in lines:  # the rest of the stream, until the service ends it
                pass
            ended = time.monotonic() - asked
            await stopping
            stopped = time.monotonic() - asked
    finally:
        service.stop(signal.SIGKILL)
    log = service.log_path.read_text()
    assert "reporting stopped" in log, "the service ran its own shutdown"
    assert ended < GRACEFUL_TIMEOUT / 2 and stopped < GRACEFUL_TIMEOUT / 2, (
        f"stream ended {ended:.1f} s and the process {stopped:.1f} s after SIGTERM"
    )
