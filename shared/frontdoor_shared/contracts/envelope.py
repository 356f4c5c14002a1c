"""The envelope every event travels in, and the events Frontdoor publishes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, Self
from uuid import UUID, uuid4, uuid5

from pydantic import AfterValidator, AwareDatetime, Field

from .base import Contract
from .complaint import ComplaintEventPayload
from .contact import ContactAccepted, ContactFollowUp, ContactReceived, ContactRouted
from .operations import CallEventPayload, HubVisitPayload, SurveyResponsePayload


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class Envelope(Contract):
    event_id: UUID
    event_type: str
    schema_version: int
    occurred_at: UtcDatetime
    producer: str = Field(min_length=1, max_length=100, description="The service that published the event")
    correlation_id: UUID = Field(description="Shared by every event that follows from one contact")
    causation_id: UUID | None = Field(default=None, description="The event this one follows from")

    @classmethod
    def new(
        cls, payload: Contract, *, producer: str, cause: Envelope | None = None, event_id: UUID | None = None
    ) -> Self:
        """A fresh event; with `cause`, it joins the cause's correlation and names it as causation."""
        own_id = event_id or uuid4()
        return cls(
            event_id=own_id,
            occurred_at=datetime.now(UTC),
            producer=producer,
            correlation_id=cause.correlation_id if cause else own_id,
            causation_id=cause.event_id if cause else None,
            payload=payload,
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class ContactReceivedEvent(Envelope):
    event_type: Literal["contact.received"] = "contact.received"
    schema_version: Literal[1] = 1
    payload: ContactReceived


class ContactRoutedEvent(Envelope):
    event_type: Literal["contact.routed"] = "contact.routed"
    schema_version: Literal[1] = 1
    payload: ContactRouted


class ContactAcceptedEvent(Envelope):
    event_type: Literal["contact.accepted"] = "contact.accepted"
    schema_version: Literal[1] = 1
    payload: ContactAccepted


class ComplaintEvent(Envelope):
    event_type: Literal["complaint.lifecycle"] = "complaint.lifecycle"
    schema_version: Literal[1] = 1
    payload: ComplaintEventPayload


class ContactFollowUpEvent(Envelope):
    event_type: Literal["contact.follow_up"] = "contact.follow_up"
    schema_version: Literal[1] = 1
    payload: ContactFollowUp


class CallEvent(Envelope):
    event_type: Literal["telephony.call"] = "telephony.call"
    schema_version: Literal[1] = 1
    payload: CallEventPayload


class HubVisitEvent(Envelope):
    event_type: Literal["hub.visit"] = "hub.visit"
    schema_version: Literal[1] = 1
    payload: HubVisitPayload


class SurveyResponseEvent(Envelope):
    event_type: Literal["survey.response"] = "survey.response"
    schema_version: Literal[1] = 1
    payload: SurveyResponsePayload


EVENTS: tuple[type[Envelope], ...] = (
    CallEvent,
    HubVisitEvent,
    SurveyResponseEvent,
    ContactReceivedEvent,
    ContactRoutedEvent,
    ContactAcceptedEvent,
    ContactFollowUpEvent,
    ComplaintEvent,
)


def derived_event_id(cause_event_id: UUID, what: str) -> UUID:
    """A deterministic id for the event `what` that follows from a cause.

    Reprocessing the same cause yields the same id, so consumers can recognise a
    redelivery as the event they already have.
    """
    return uuid5(cause_event_id, what)
