"""Bootstrap of the intake service: channel adapters over HTTP, publishing to contacts.received."""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial
from uuid import UUID

from aiokafka.errors import KafkaError
from fastapi import FastAPI, HTTPException
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ValidationError

from frontdoor_shared.contracts import ContactReceived, ContactReceivedEvent
from frontdoor_shared.health import health_router
from frontdoor_shared.kafka import ensure_topics, make_broker, ping_broker, with_dead_letters
from frontdoor_shared.logging import get_logger

from .channels.web import WebContactForm, contact_from_web_form, event_id_for
from .settings import IntakeSettings

log = get_logger(__name__)
SERVICE = "intake"


class Accepted(BaseModel):
    contact_id: UUID
    event_id: UUID
    status: str = "accepted"


class ContactPublisher:
    """Publishes a contact and returns only once the broker has it: an accepted contact is never lost."""

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self._out = broker.publisher(
            topic,
            title="contacts.received (published by intake)",
            description="Every contact as intake received it, keyed by contact id; consumed by routing",
            schema=ContactReceivedEvent,
        )

    async def publish(self, contact: ContactReceived, event_id: UUID | None = None) -> ContactReceivedEvent:
        event = ContactReceivedEvent.new(contact, producer=SERVICE, event_id=event_id)
        try:
            await self._out.publish(
                event.to_bytes(),
                key=str(contact.contact_id).encode(),
                headers={"event-type": event.event_type, "event-id": str(event.event_id)},
            )
        except KafkaError as error:
            log.error("contact not accepted: Kafka did not take it", error=repr(error))
            raise HTTPException(
                503, detail="The contact was not accepted: the message broker is unavailable. Try again."
            ) from error
        log.info(
            "contact received",
            event_id=str(event.event_id),
            correlation_id=str(event.correlation_id),
            contact_id=str(contact.contact_id),
            channel=contact.channel.value,
        )
        return event


def create_app(settings: IntakeSettings) -> FastAPI:
    topics = settings.topics
    broker = make_broker(settings, SERVICE)
    publisher = ContactPublisher(broker, topics.contacts_received)
    key = settings.customer_ref_key.get_secret_value().encode()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await ensure_topics(settings, with_dead_letters([topics.contacts_received]))
        await broker.start()
        log.info("intake started")
        yield
        await broker.stop()
        log.info("intake stopped")

    app = FastAPI(
        title="Frontdoor intake",
        description="Contact from every channel the council takes it on, published to contacts.received.",
        version="1",
        lifespan=lifespan,
    )
    app.include_router(health_router({"kafka": partial(ping_broker, broker)}))

    @app.post("/v1/contacts", status_code=202, response_model=Accepted, tags=["web"])
    async def post_contact(form: WebContactForm) -> Accepted:
        """Take one contact from the council website's form."""
        try:
            contact = contact_from_web_form(form, key)
        except ValidationError as error:
            raise HTTPException(422, detail=error.errors(include_url=False, include_context=False)) from None
        event = await publisher.publish(contact, event_id_for(contact.contact_id, form.submission_id))
        return Accepted(contact_id=contact.contact_id, event_id=event.event_id)

    app.state.broker = broker
    return app
