"""Bootstrap of the complaints service: open cases from routed complaints, serve them."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import Literal

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

from .cases import CASES, case_writes
from .settings import ComplaintsSettings

log = get_logger(__name__)
SERVICE = "complaints"


class CaseSummary(BaseModel):
    contact_id: str
    kind: str
    procedure: str | None
    stage: int | None
    status: str
    team: str
    channel: str
    category: str | None
    received_at: datetime


def create_app(settings: ComplaintsSettings) -> FastAPI:
    topics = settings.topics
    group = settings.group_id(SERVICE)
    mongo = make_client(settings, SERVICE)
    cases = mongo[settings.mongodb_database][CASES]
    broker = make_broker(settings, SERVICE)
    subscribe_projection(
        broker,
        service=SERVICE,
        topic=topics.contacts_routed,
        consumer_group=group,
        event=ContactRoutedEvent,
        collection=cases,
        writes_for=partial(case_writes, statutory_teams=settings.statutory_teams),
        batch_size=settings.complaints_batch_size,
        max_delivery_attempts=settings.max_delivery_attempts,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await ensure_topics(settings, with_dead_letters([topics.contacts_routed]))
        await cases.create_index([("kind", 1), ("status", 1), ("procedure", 1), ("team", 1)])
        await broker.start()
        log.info("complaints started")
        yield
        await broker.stop()
        await mongo.close()
        log.info("complaints stopped")

    app = FastAPI(title="Frontdoor complaints", lifespan=lifespan)
    app.include_router(health_router({"kafka": partial(ping_broker, broker), "mongodb": partial(ping, mongo)}))

    @app.get("/v1/cases", response_model=list[CaseSummary], tags=["cases"])
    async def list_cases(
        kind: Literal["complaint", "compliment"] | None = None,
        procedure: Literal["corporate", "adult_social_care", "childrens_social_care"] | None = None,
        team: str | None = Query(default=None, pattern=r"^[a-z][a-z0-9_]{1,39}$"),
        limit: int = Query(default=100, ge=1, le=1000),
    ) -> list[CaseSummary]:
        """Cases, newest first, filtered by kind, procedure and team."""
        query = {name: value for name, value in (("kind", kind), ("procedure", procedure), ("team", team)) if value}
        cursor = cases.find(query).sort("received_at", -1).limit(limit)
        return [
            CaseSummary(contact_id=doc["_id"], **{k: doc.get(k) for k in CaseSummary.model_fields if k != "contact_id"})
            async for doc in cursor
        ]

    @app.get("/v1/cases/{contact_id}", tags=["cases"])
    async def case_history(contact_id: str) -> dict:
        """One case with its full history."""
        doc = await cases.find_one({"_id": contact_id})
        if doc is None:
            raise HTTPException(404, detail=f"no complaint or compliment case for contact {contact_id}")
        doc["contact_id"] = doc.pop("_id")
        return doc

    app.state.broker = broker
    app.state.mongo = mongo
    return app
