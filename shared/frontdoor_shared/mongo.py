"""MongoDB helpers: one async client per service, and telling an outage from a bad document."""

from pymongo import AsyncMongoClient
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError

from .settings import ServiceSettings

OUTAGES = (AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError)
"""Errors that say the database is out of reach, not that a message is bad: retry, never dead-letter."""


def make_client(settings: ServiceSettings, service: str) -> AsyncMongoClient:
    return AsyncMongoClient(
        settings.mongodb_url,
        appname=f"frontdoor-{service}",
        tz_aware=True,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
    )


async def ping(client: AsyncMongoClient) -> None:
    await client.admin.command("ping")
