"""Bootstrap of the reporting service: consume the stream into MongoDB projections, serve reports and a dashboard."""

from __future__ import annotations

import csv
import io
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel

from frontdoor_shared.health import health_router
from frontdoor_shared.kafka import ensure_topics, make_broker, ping_broker, with_dead_letters
from frontdoor_shared.logging import get_logger
from frontdoor_shared.mongo import make_client, ping
from frontdoor_shared.projection import subscribe_projection

from . import live
from .domain.measures import CallCentreRule
from .domain.periods import BadPeriod, Period, parse_period
from .domain.repeats import RepeatRule
from .domain.report import Report, ReportRules, Table, build_report
from .domain.surges import SurgeRule
from .projections import (
    CALLS,
    COMPLAINT_HISTORIES,
    CONTACTS,
    HUB_VISITS,
    SURVEY_RESPONSES,
    projections,
    stats_pipeline,
)
from .queries import report_data
from .render import annual_report_html
from .settings import ReportingSettings

log = get_logger(__name__)
SERVICE = "reporting"


INDEXES = {
    CONTACTS: [[("received_day", 1), ("channel", 1), ("destination", 1)]],
    CALLS: [[("first_day", 1)]],
    HUB_VISITS: [[("first_day", 1)]],
    SURVEY_RESPONSES: [[("day", 1)]],
    COMPLAINT_HISTORIES: [[("first_day", 1)], [("last_day", 1)]],
}


class StatsRow(BaseModel):
    day: date
    channel: str
    destination: str
    contacts: int


class Stats(BaseModel):
    total: int
    rows: list[StatsRow]


def rules_of(settings: ReportingSettings) -> ReportRules:
    return ReportRules(
        call_centre=CallCentreRule(settings.service_level_seconds, settings.short_abandon_seconds),
        surges=SurgeRule(min_ratio=settings.surge_min_ratio, min_rise=settings.surge_min_rise),
        repeats=RepeatRule(settings.repeat_contact_days),
    )


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column.heading for column in table.columns])
    for row in table.rows:
        writer.writerow(["" if row.get(c.key) is None else row.get(c.key) for c in table.columns])
    return out.getvalue()


YEAR = Query(default=None, description="A council year such as 2009/10, or a calendar year such as 2009")
FIRST = Query(default=None, alias="from", description="First day, YYYY-MM-DD (with 'to', instead of a year)")
LAST = Query(default=None, alias="to", description="Last day, YYYY-MM-DD")


def period_of(year: str | None, first: date | None, last: date | None) -> Period:
    try:
        return parse_period(year, first, last)
    except BadPeriod as error:
        raise HTTPException(422, detail=str(error)) from None


def create_app(settings: ReportingSettings) -> FastAPI:
    topics = settings.topics
    group = settings.group_id(SERVICE)
    zone = ZoneInfo(settings.council_timezone)
    mongo = make_client(settings, SERVICE)
    database = mongo[settings.mongodb_database]
    broker = make_broker(settings, SERVICE)
    feed = live.LiveFeed()
    rules = rules_of(settings)
    consumed = projections(topics)
    for projection in consumed:
        subscribe_projection(
            broker,
            service=SERVICE,
            topic=projection.topic,
            consumer_group=group,
            event=projection.event,
            collection=database[projection.collection],
            writes_for=partial(projection.writes_for, zone=zone),
            batch_size=settings.reporting_batch_size,
            max_delivery_attempts=settings.max_delivery_attempts,
            after_write=feed.changed,
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await ensure_topics(settings, with_dead_letters([p.topic for p in consumed]))
        for collection, indexes in INDEXES.items():
            for keys in indexes:
                await database[collection].create_index(keys)
        await broker.start()
        log.info("reporting started", topics=[p.topic for p in consumed])
        yield
        await broker.stop()
        await mongo.close()
        log.info("reporting stopped")

    app = FastAPI(title="Frontdoor reporting", lifespan=lifespan)
    app.state.on_stop = feed.close  # open dashboards end their event streams as the service stops
    app.include_router(health_router({"kafka": partial(ping_broker, broker), "mongodb": partial(ping, mongo)}))

    async def report_for(period: Period) -> Report:
        return build_report(await report_data(database, period, rules.repeats), rules)

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

    @app.get("/v1/reports/annual", tags=["reports"])
    async def annual_report(
        year: str | None = YEAR, first: date | None = FIRST, last: date | None = LAST
    ) -> dict[str, Any]:
        """The whole customer-services report for a period: headlines, tables and charts, with the year before."""
        return (await report_for(period_of(year, first, last))).as_dict()

    @app.get("/v1/reports/annual.html", tags=["reports"], response_class=HTMLResponse)
    async def annual_report_page(
        year: str | None = YEAR, first: date | None = FIRST, last: date | None = LAST
    ) -> HTMLResponse:
        """The report as one self-contained HTML page, for a committee."""
        report = await report_for(period_of(year, first, last))
        return HTMLResponse(annual_report_html(report, settings.council_name, datetime.now(zone)))

    @app.get("/v1/reports/tables", tags=["reports"])
    async def report_tables(year: str | None = YEAR, first: date | None = FIRST, last: date | None = LAST):
        """The names and titles of the report's tables, each served as JSON and CSV."""
        report = await report_for(period_of(year, first, last))
        return [{"name": t.name, "title": t.title} for t in report.tables]

    async def one_table(name: str, period: Period) -> Table:
        table = (await report_for(period)).table(name)
        if table is None:
            raise HTTPException(404, detail=f"no report table named {name!r}; GET /v1/reports/tables lists them")
        return table

    @app.get("/v1/reports/tables/{name}.csv", tags=["reports"], response_class=PlainTextResponse)
    async def report_table_csv(
        name: str, year: str | None = YEAR, first: date | None = FIRST, last: date | None = LAST
    ) -> PlainTextResponse:
        """One table of the report as CSV, for a spreadsheet."""
        period = period_of(year, first, last)
        table = await one_table(name, period)
        filename = f"{name}-{period.label.replace('/', '-').replace(' ', '_')}.csv"
        return PlainTextResponse(
            table_csv(table),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )

    @app.get("/v1/reports/tables/{name}", tags=["reports"])
    async def report_table(name: str, year: str | None = YEAR, first: date | None = FIRST, last: date | None = LAST):
        """One table of the report as JSON."""
        return asdict(await one_table(name, period_of(year, first, last)))

    @app.get("/v1/reports/live", tags=["dashboard"])
    async def live_figures() -> StreamingResponse:
        """Today's figures as server-sent events, sent again whenever the projections change."""
        return StreamingResponse(
            live.events(feed, database, zone), media_type="text/event-stream", headers={"cache-control": "no-cache"}
        )

    @app.get("/dashboard", tags=["dashboard"], response_class=HTMLResponse)
    async def dashboard() -> HTMLResponse:
        """The live dashboard page."""
        return HTMLResponse(live.DASHBOARD)

    app.state.broker = broker
    app.state.mongo = mongo
    return app
