"""Bootstrap of the intake service: channel adapters over HTTP, publishing to contacts.received."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager, suppress
from functools import partial
from uuid import UUID

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from frontdoor_shared.contracts import ContactReceived, ContactReceivedEvent, ContactRoutedEvent
from frontdoor_shared.health import health_router
from frontdoor_shared.kafka import ensure_topics, make_broker, ping_broker, with_dead_letters
from frontdoor_shared.limits import BodyLimit
from frontdoor_shared.logging import get_logger
from frontdoor_shared.mongo import make_client, ping
from frontdoor_shared.projection import subscribe_projection

from .assisted_routes import assisted_router
from .auth import RateLimits
from .channels.email import THREADS, EmailIntake, EmailThreads, FileAttachmentStore, start_smtp_server
from .channels.open311 import OPEN311_REQUESTS, open311_router, writes_for_received, writes_for_routed
from .channels.social import social_router
from .channels.web import WebContactForm, contact_from_web_form
from .operations import OperationsPublisher
from .publishing import REFERENCES, Accepted, IntakeUnavailable, KafkaIntake
from .retention import RetentionSweep
from .settings import IntakeSettings

log = get_logger(__name__)
SERVICE = "intake"


class AcceptedContact(BaseModel):
    contact_id: UUID
    event_id: UUID
    status: str = Field(description="accepted, or duplicate when this reference was accepted before")

    @classmethod
    def of(cls, accepted: Accepted) -> AcceptedContact:
        return cls(
            contact_id=accepted.contact_id,
            event_id=accepted.event_id,
            status="duplicate" if accepted.duplicate else "accepted",
        )


class BatchItem(BaseModel):
    index: int
    status: str = Field(description="accepted, duplicate, invalid or unavailable")
    contact_id: UUID | None = None
    event_id: UUID | None = None
    errors: list[dict] | None = None


def create_app(settings: IntakeSettings) -> FastAPI:
    topics = settings.topics
    broker = make_broker(settings, SERVICE)
    mongo = make_client(settings, SERVICE)
    intake = KafkaIntake(
        broker, topics.contacts_received, topics.contacts_follow_ups, mongo[settings.mongodb_database][REFERENCES]
    )
    key = settings.customer_ref_key.get_secret_value().encode()
    email = EmailIntake(
        intake,
        EmailThreads(mongo[settings.mongodb_database][THREADS]),
        FileAttachmentStore(settings.attachment_dir),
        key,
        max_message_bytes=settings.smtp_max_message_bytes,
        max_attachment_bytes=settings.smtp_max_attachment_bytes,
        recipients=settings.smtp_recipients,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await ensure_topics(
            settings,
            with_dead_letters(
                [
                    topics.contacts_received,
                    topics.contacts_routed,
                    topics.contacts_follow_ups,
                    topics.telephony_calls,
                    topics.hub_visits,
                    topics.survey_responses,
                ]
            ),
        )
        await open311_requests.create_index([("requested_datetime", -1)])
        await open311_requests.create_index([("updated_datetime", -1)])
        await broker.start()
        smtp = start_smtp_server(email, settings.smtp_host, settings.smtp_port, settings.smtp_max_message_bytes)
        sweeping = asyncio.create_task(retention.run(settings.retention_sweep_seconds))
        log.info("intake started", smtp=f"{settings.smtp_host}:{settings.smtp_port}")
        yield
        sweeping.cancel()
        with suppress(asyncio.CancelledError):
            await sweeping
        smtp.stop()
        await broker.stop()
        await mongo.close()
        log.info("intake stopped")

    app = FastAPI(
        title="Frontdoor intake",
        description="Contact from every channel the council takes it on, published to contacts.received.",
        version="1",
        lifespan=lifespan,
    )
    app.include_router(health_router({"kafka": partial(ping_broker, broker), "mongodb": partial(ping, mongo)}))
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(IntakeUnavailable)
    async def unavailable(request: Request, error: IntakeUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": f"The contact was not accepted: {error}. Nothing was recorded; try again."},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.post("/v1/contacts", status_code=202, response_model=AcceptedContact, tags=["web"])
    async def post_contact(form: WebContactForm) -> AcceptedContact:
        """Take one contact from the council website's form. Resubmitting a `submission_id` returns the same contact."""
        try:
            contact = contact_from_web_form(form, key)
        except ValidationError as error:  # a value the form allows but the contract refuses: 422, never 500
            errors = error.errors(include_url=False, include_context=False, include_input=False)
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
        return AcceptedContact.of(await intake.accept(contact))

    @app.post("/v1/contacts/batch", status_code=207, response_model=list[BatchItem], tags=["web"])
    async def post_contacts(
        forms: list[dict] = Body(max_length=settings.intake_batch_limit, description="Web contact forms"),
    ) -> list[BatchItem]:
        """Take many contacts; each is answered on its own, in order, and a bad one does not stop the rest."""
        answers: list[BatchItem | None] = [None] * len(forms)
        valid: list[tuple[int, ContactReceived]] = []
        for index, raw in enumerate(forms):
            try:
                valid.append((index, contact_from_web_form(WebContactForm.model_validate(raw), key)))
            except ValidationError as error:
                errors = error.errors(include_url=False, include_context=False, include_input=False)
                answers[index] = BatchItem(index=index, status="invalid", errors=errors)
        results = await intake.accept_many([contact for _, contact in valid]) if valid else []
        for (index, _), result in zip(valid, results, strict=True):
            if isinstance(result, IntakeUnavailable):
                answers[index] = BatchItem(index=index, status="unavailable")
            else:
                answers[index] = BatchItem(
                    index=index,
                    status="duplicate" if result.duplicate else "accepted",
                    contact_id=result.contact_id,
                    event_id=result.event_id,
                )
        return [answer for answer in answers if answer is not None]

    limits = RateLimits(settings.intake_rate_limit_per_minute, settings.intake_rate_limit_burst)
    app.include_router(assisted_router(intake, OperationsPublisher(broker, topics), settings, key, limits))
    app.include_router(social_router(intake, settings, key), tags=["social media"])
    open311_requests = mongo[settings.mongodb_database][OPEN311_REQUESTS]
    retention = RetentionSweep(
        settings.personal_data_retention_days,
        settings.attachment_dir,
        open311_requests,
        mongo[settings.mongodb_database][THREADS],
        mongo[settings.mongodb_database][REFERENCES],
    )
    app.include_router(open311_router(intake, open311_requests, settings, key, limits=limits), tags=["Open311"])
    # Open311 request status comes from the stream: what was received, and where routing sent it.
    group = settings.group_id(SERVICE)
    for topic, event, writes in (
        (topics.contacts_received, ContactReceivedEvent, writes_for_received),
        (topics.contacts_routed, ContactRoutedEvent, writes_for_routed),
    ):
        subscribe_projection(
            broker,
            service=SERVICE,
            topic=topic,
            consumer_group=f"{group}-open311-{event.__name__}",
            event=event,
            collection=open311_requests,
            writes_for=writes,
            batch_size=500,
            max_delivery_attempts=settings.max_delivery_attempts,
        )

    app.state.broker = broker
    app.state.intake = intake
    app.state.rate_limits = limits
    app.state.retention = retention
    app.state.mongo = mongo
    return app
