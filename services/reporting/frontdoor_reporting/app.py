"""Bootstrap of the reporting service: consume routed contacts into MongoDB, serve the figures."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from frontdoor_shared.contracts import ContactRoutedEvent
from frontdoor_shared.health import health_router
from frontdoor_shared.kafka import (
    ensure_topics,
    make_broker,
    ping_broker,
    with_dead_letters,
)
from frontdoor_shared.logging import get_logger
from frontdoor_shared.mongo import make_client, ping
from frontdoor_shared.projection import subscribe_projection

from .projections import CONTACTS, contact_writes, stats_pipeline
from .settings import ReportingSettings

log = get_logger(__name__)
SERVICE = "reporting"


class StatsRow(BaseModel):
    day: date
    channel: str
    destination: str
    contacts: int


class Stats(BaseModel):
    total: int
    rows: list[StatsRow]


def create_app(settings: ReportingSettings) -> FastAPI:
    topics = settings.topics
    group = settings.group_id(SERVICE)
    zone = ZoneInfo(settings.council_timezone)
    mongo = make_client(settings, SERVICE)
    database = mongo[settings.mongodb_database]
    broker = make_broker(settings, SERVICE)
    subscribe_projection(
        broker,
        service=SERVICE,
        topic=topics.contacts_routed,
        consumer_group=group,
        event=ContactRoutedEvent,
        collection=database[CONTACTS],
        writes_for=partial(contact_writes, zone=zone),
        batch_size=settings.reporting_batch_size,
        max_delivery_attempts=settings.max_delivery_attempts,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await ensure_topics(settings, with_dead_letters([topics.contacts_routed]))
        await database[CONTACTS].create_index([("received_day", 1), ("channel", 1), ("destination", 1)])
        await broker.start()
        log.info("reporting started")
        yield
        await broker.stop()
        await mongo.close()
        log.info("reporting stopped")

    app = FastAPI(title="Frontdoor reporting", lifespan=lifespan)
    app.include_router(health_router({"kafka": partial(ping_broker, broker), "mongodb": partial(ping, mongo)}))

    @app.get("/v1/stats", response_model=Stats, tags=["reports"])
    async def contact_stats(
        first_day: date | None = Query(default=None, alias="from", description="First day, YYYY-MM-DD"),
        last_day: date | None = Query(default=None, alias="to", description="Last day, YYYY-MM-DD"),
    ) -> Stats:
        """Contacts by day (council time), channel and department or partner agency."""
        if first_day and last_day and first_day > last_day:
            raise HTTPException(422, detail=f"'from' ({first_day}) is after 'to' ({last_day})")
        rows = [
            StatsRow(
                day=row["_id"]["day"],
                channel=row["_id"]["channel"],
                destination=row["_id"]["destination"],
                contacts=row["contacts"],
            )
            async for row in await database[CONTACTS].aggregate(stats_pipeline(first_day, last_day))
        ]
        return Stats(total=sum(row.contacts for row in rows), rows=rows)

    app.state.broker = broker
    app.state.mongo = mongo
    return app
