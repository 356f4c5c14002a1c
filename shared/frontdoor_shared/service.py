"""Running a service: one entry point shape for all four."""

import contextlib
from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from .logging import configure_logging
from .settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def run_service(name: str, load_settings: Callable[[], S], create_app: Callable[[S], FastAPI]) -> None:
    """Read settings from the environment, configure logs, serve HTTP until SIGTERM or SIGINT.

    On a signal uvicorn stops taking requests and runs the app's shutdown, which
    stops the broker after its in-flight messages are handled and committed. An app
    holding long-lived responses (reporting's live dashboard) sets `app.state.on_stop`,
    called as the service begins to stop, so those responses end instead of holding the
    stop for the whole graceful timeout.
    """
    try:
        settings = load_settings()
    except ValidationError as error:
        problems = "; ".join(
            ("_".join(str(part) for part in item["loc"]).upper() + ": " if item["loc"] else "")
            + item["msg"].removeprefix("Value error, ")
            for item in error.errors()
        )
        raise SystemExit(f"frontdoor-{name}: configuration error: {problems}") from None
    configure_logging(name, settings.log_level, settings.log_format)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
    )
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises a captured Ctrl+C once it has shut down
        _Server(config).run()


class _Server(uvicorn.Server):
    async def shutdown(self, sockets=None) -> None:
        if on_stop := getattr(self.config.app.state, "on_stop", None):
            on_stop()
        await super().shutdown(sockets)
