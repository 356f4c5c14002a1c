"""Bootstrap of the complaints service: cases from routed complaints and officers' actions, deadlines, reports."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager, suppress
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Body, FastAPI, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from faststream.params import NoCast
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from frontdoor_shared.contracts import ComplaintEvent, ComplaintEventPayload, ContactRoutedEvent
from frontdoor_shared.health import health_router
from frontdoor_shared.kafka import (
    DeadLetter,
    DeliveryAttempts,
    ensure_topics,
    make_broker,
    message_context,
    ping_broker,
    publish_options,
    raw_bodies,
    with_dead_letters,
)
from frontdoor_shared.logging import get_logger
from frontdoor_shared.mongo import OUTAGES, make_client, ping
from frontdoor_shared.topics import Topics

from .domain.case import InvalidTransition, alerts_due, apply
from .domain.working_days import WorkingCalendar
from .handlers import apply_event, council_day, deadline_event, logged_event, step_of
from .reports import OPEN_BY, TIMING_FIELDS, as_csv, counted_by, flatten, targets_pipeline, working_days_taken
from .settings import ComplaintsSettings
from .store import CASES, CaseStore, case_from_doc

log = get_logger(__name__)
SERVICE = "complaints"
Format = Annotated[Literal["json", "csv"], Query(description="json, or csv for a spreadsheet")]
Code = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class OfficerAction(BaseModel):
    """What an officer records on a case."""

    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "acknowledged",
        "extended",
        "responded",
        "escalated",
        "panel_held",
        "panel_reported",
        "referred_to_ombudsman",
        "withdrawn",
        "closed",
        "reclassified_as_service_request",
        "reclassified_as_complaint",
    ]
    officer_ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    outcome: Literal["upheld", "partly_upheld", "not_upheld"] | None = None
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    extension_working_days: int = Field(default=0, ge=0, le=65)
    agreed_response_by: date | None = None
    learning_points: list[Annotated[str, StringConstraints(max_length=1000)]] = []
    referral: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    procedure: Literal["corporate", "adult_social_care", "childrens_social_care"] | None = Field(
        default=None, description="With reclassified_as_complaint, for a service request that has no case yet"
    )
    department: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")] | None = None
    category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")] | None = None


def create_app(settings: ComplaintsSettings) -> FastAPI:
    topics, group = settings.topics, settings.group_id(SERVICE)
    zone = ZoneInfo(settings.council_timezone)
    calendar = WorkingCalendar(settings.council_closure_days)
    mongo = make_client(settings, SERVICE)
    store = CaseStore(mongo[settings.mongodb_database][CASES], calendar)
    broker = make_broker(settings, SERVICE)

    events_out = broker.publisher(
        topics.complaints_events,
        title="complaints.events (published by complaints and officers' systems)",
        description="Every step in every complaint's lifecycle, keyed by case id: logged, acknowledged, extended, "
        "responded, escalated, referred to the Ombudsman, withdrawn, closed, reclassified, compliments recorded, "
        "and deadline_due / deadline_missed",
        schema=ComplaintEvent,
    )
    dead_out = {
        topic: broker.publisher(
            Topics.dead_letters(topic),
            title=f"{Topics.dead_letters(topic).removeprefix(settings.topic_prefix)} (published by complaints)",
            description=f"Messages on {topic} the complaints service could not use, with x-dead-letter-reason",
            schema=bytes,
        )
        for topic in (topics.contacts_routed, topics.complaints_events)
    }

    async def publish(events: list[ComplaintEvent]) -> None:
        await asyncio.gather(
            *(
                events_out.publish(
                    e.to_bytes(),
                    key=str(e.payload.case_id).encode(),
                    **publish_options(e),
                )
                for e in events
            )
        )

    async def dead_letter(letter: DeadLetter) -> None:
        with message_context(letter.record):
            log.warning("message dead-lettered", reason=letter.reason)
        await dead_out[letter.record.topic].publish(letter.value, key=letter.key, headers=letter.headers)

    subscription = {
        "batch": True,
        "max_records": settings.complaints_batch_size,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "ack_policy": AckPolicy.MANUAL,
        "decoder": raw_bodies,
        "include_in_schema": False,
    }

    @broker.subscriber(topics.contacts_routed, group_id=f"{group}-routed", **subscription)
    async def on_contacts_routed(body: NoCast[list[bytes]], message: KafkaMessage) -> None:
        """Open a case for each routed complaint or compliment, by publishing its `logged` event."""
        opened = []
        try:
            for record in message.raw_message:
                try:
                    routed = ContactRoutedEvent.model_validate_json(record.value or b"")
                except ValidationError as error:
                    await dead_letter(DeadLetter.invalid(record, ContactRoutedEvent, error, f"{group}-routed"))
                    continue
                if (event := logged_event(routed, settings.statutory_teams)) is not None:
                    opened.append(event)
            await publish(opened)
        except Exception:
            # e.g. the broker out of reach for longer than a publish waits. Unacknowledged, the batch would be
            # skipped: the next batch's commit covers its offsets. Rewound, it is redelivered; ids are derived.
            log.exception("cases not opened; the batch will be redelivered", size=len(message.raw_message))
            await message.nack()
            await asyncio.sleep(1)
            return
        await message.ack()

    attempts = DeliveryAttempts(settings.max_delivery_attempts)

    @broker.subscriber(topics.complaints_events, group_id=f"{group}-cases", **subscription)
    async def on_complaint_events(body: NoCast[list[bytes]], message: KafkaMessage) -> None:
        """Apply each step to its case, in order; a refused step goes to the dead-letter topic with why."""
        try:
            for record in message.raw_message:
                with message_context(record):
                    try:
                        event = ComplaintEvent.model_validate_json(record.value or b"")
                    except ValidationError as error:
                        await dead_letter(DeadLetter.invalid(record, ComplaintEvent, error, f"{group}-cases"))
                        continue
                    try:
                        result = await apply_event(event, store, zone)
                    except OUTAGES:
                        raise
                    except Exception as error:
                        if not attempts.failed(record):
                            raise
                        log.exception("case could not be updated; dead-lettered after every attempt")
                        reason = f"case could not be updated: {error!r}"
                        await dead_letter(DeadLetter(record, reason, type(error).__name__, f"{group}-cases"))
                        continue
                    attempts.succeeded(record)
                    if result.outcome == "refused":
                        await dead_letter(
                            DeadLetter(record, result.reason or "refused", "InvalidTransition", f"{group}-cases")
                        )
                    else:
                        log.info(
                            "case updated",
                            case_id=str(event.payload.case_id),
                            action=event.payload.action,
                            event_id=str(event.event_id),
                            correlation_id=str(event.correlation_id),
                            result=result.outcome,
                        )
        except OUTAGES as error:
            log.warning("database out of reach; batch will be retried", error=str(error))
            await asyncio.sleep(1)
            await message.nack()
            return
        except Exception:
            # Unacknowledged, the rest of the batch would be skipped (the next commit covers it): rewind instead.
            log.exception("complaint events not applied; the batch will be redelivered", size=len(message.raw_message))
            await asyncio.sleep(1)
            await message.nack()
            return
        await message.ack()

    async def check_deadlines(now: datetime | None = None) -> int:
        """Publish the deadline_due and deadline_missed events that are owed; returns how many."""
        now = now or datetime.now(UTC)
        today = council_day(now, zone)
        owed = []
        async for doc in store.collection.find({"open": True, "deadline_due": {"$lte": today.isoformat()}}):
            case = case_from_doc(doc)
            owed += [deadline_event(case, action, due, now) for action, due in alerts_due(case, today, calendar)]
        if owed:
            await publish(owed)
            log.info("deadline events published", count=len(owed))
        return len(owed)

    async def watch_deadlines() -> None:
        while True:
            try:
                await check_deadlines()
            except Exception:
                log.exception("deadline check failed; will retry")
            await asyncio.sleep(settings.deadline_check_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await ensure_topics(settings, with_dead_letters([topics.contacts_routed, topics.complaints_events]))
        await store.create_indexes()
        await broker.start()
        watcher = asyncio.create_task(watch_deadlines())
        log.info("complaints started")
        yield
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher
        await broker.stop()
        await mongo.close()
        log.info("complaints stopped")

    app = FastAPI(title="Frontdoor complaints", lifespan=lifespan)
    app.include_router(health_router({"kafka": partial(ping_broker, broker), "mongodb": partial(ping, mongo)}))

    def respond(rows: list[dict[str, Any]], format: str) -> Any:
        return PlainTextResponse(as_csv(rows), media_type="text/csv") if format == "csv" else rows

    def summary(doc: dict[str, Any]) -> dict[str, Any]:
        keep = (
            "kind",
            "procedure",
            "department",
            "category",
            "status",
            "stage",
            "received_on",
            "acknowledged_on",
            "responded_on",
            "outcome",
            "deadline_name",
            "deadline_due",
            "referrals",
        )
        return {"case_id": doc["_id"], **{k: doc.get(k) for k in keep}}

    @app.get("/v1/cases", tags=["cases"])
    async def list_cases(
        kind: Literal["complaint", "compliment"] | None = None,
        procedure: Literal["corporate", "adult_social_care", "childrens_social_care"] | None = None,
        stage: int | None = Query(default=None, ge=1, le=3),
        department: Code = None,
        open_only: bool = Query(default=False, alias="open"),
        limit: int = Query(default=500, ge=1, le=10_000),
        format: Format = "json",
    ) -> Any:
        """Cases, newest first, filtered by kind, procedure, stage, department and whether open."""
        query: dict[str, Any] = {
            k: v
            for k, v in (("kind", kind), ("procedure", procedure), ("stage", stage), ("department", department))
            if v is not None
        }
        if open_only:
            query["open"] = True
        rows = [summary(doc) async for doc in store.collection.find(query).sort("received_on", -1).limit(limit)]
        return respond(rows, format)

    @app.get("/v1/cases/overdue", tags=["cases"])
    async def overdue_cases(format: Format = "json") -> Any:
        """Open cases past their deadline, most overdue first."""
        today = council_day(datetime.now(UTC), zone).isoformat()
        cursor = store.collection.find({"open": True, "deadline_due": {"$lt": today}}).sort("deadline_due", 1)
        return respond([summary(doc) async for doc in cursor], format)

    @app.get("/v1/cases/at-risk", tags=["cases"])
    async def at_risk_cases(format: Format = "json") -> Any:
        """Open cases whose deadline falls today or within the next working days (AT_RISK_WORKING_DAYS)."""
        today = council_day(datetime.now(UTC), zone)
        horizon = calendar.add(today, settings.at_risk_working_days)
        cursor = store.collection.find(
            {"open": True, "deadline_due": {"$gte": today.isoformat(), "$lte": horizon.isoformat()}}
        ).sort("deadline_due", 1)
        return respond([summary(doc) async for doc in cursor], format)

    @app.get("/v1/cases/{case_id}", tags=["cases"])
    async def case_history(case_id: UUID) -> dict[str, Any]:
        """One case with its full history."""
        doc = await store.collection.find_one({"_id": str(case_id)})
        if doc is None:
            raise HTTPException(404, detail=f"no complaint or compliment case {case_id}")
        doc.pop("applied_event_ids", None)
        return {"case_id": doc.pop("_id"), **doc}

    @app.post("/v1/cases/{case_id}/actions", status_code=202, tags=["cases"])
    async def record_action(case_id: UUID, request: Annotated[OfficerAction, Body()]) -> dict[str, Any]:
        """Record an officer's action. A step the case does not allow is refused (409) and changes nothing."""
        try:
            payload = ComplaintEventPayload(case_id=case_id, at=datetime.now(UTC), **request.model_dump())
        except ValidationError as error:  # a value the action allows but the contract refuses: 422, never 500
            errors = error.errors(include_url=False, include_context=False, include_input=False)
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
        case, _ = await store.load(str(case_id))
        event = ComplaintEvent.new(payload, producer=SERVICE)
        if case is None:
            if request.action != "reclassified_as_complaint":
                raise HTTPException(404, detail=f"no complaint case {case_id}")
            if not (request.procedure and request.department):
                raise HTTPException(
                    422, detail="a service request reclassified as a complaint needs procedure and department"
                )
            await publish([event])
            return {"event_id": str(event.event_id), "status": "received", "stage": 1}
        try:
            after = apply(case, step_of(event.payload, zone), calendar)
        except InvalidTransition as refusal:
            raise HTTPException(409, detail=str(refusal)) from None
        await publish([event])
        return {"event_id": str(event.event_id), "status": after.status.value, "stage": after.stage}

    @app.get("/v1/complaints/summary", tags=["reports"])
    async def complaints_summary() -> dict[str, Any]:
        """Open cases by stage, procedure and department; share within target; counts by category and outcome."""

        async def run(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return flatten([row async for row in await store.collection.aggregate(pipeline)])

        targets = await run(targets_pipeline())
        for row in targets:
            row["share_in_time"] = round(row["in_time"] / row["done"], 3) if row["done"] else None
        timings = [doc async for doc in store.collection.find({"kind": "complaint"}, TIMING_FIELDS)]
        return {
            "open_by_stage_procedure_department": await run(OPEN_BY),
            "working_days_taken": working_days_taken(timings, calendar),
            "within_target": targets,
            "by_category": await run(counted_by("category")),
            "by_outcome": await run(counted_by("outcome")),
            "referrals_to_ombudsman": await store.collection.count_documents({"referrals": "ombudsman"}),
            "compliments": await store.collection.count_documents({"kind": "compliment"}),
        }

    @app.get("/v1/complaints/summary/{table}.csv", tags=["reports"], response_class=PlainTextResponse)
    async def complaints_summary_csv(
        table: Literal[
            "open_by_stage_procedure_department", "working_days_taken", "within_target", "by_category", "by_outcome"
        ],
    ) -> PlainTextResponse:
        """One table of the summary as CSV."""
        return PlainTextResponse(as_csv((await complaints_summary())[table]), media_type="text/csv")

    app.state.broker = broker
    app.state.mongo = mongo
    app.state.check_deadlines = check_deadlines
    app.state.store = store
    return app
