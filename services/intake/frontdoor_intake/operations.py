"""Publishing the channels' operational events (calls, hub visits, survey responses) for reporting."""

from __future__ import annotations

from uuid import UUID

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from frontdoor_shared.contracts import (
    CallEvent,
    CallEventPayload,
    HubVisitEvent,
    HubVisitPayload,
    SurveyResponseEvent,
    SurveyResponsePayload,
)
from frontdoor_shared.contracts.envelope import derived_event_id
from frontdoor_shared.topics import Topics

from .publishing import PRODUCER, IntakeUnavailable

_NAMESPACE = UUID("6f1c2a7e-3f5b-4c8e-9a1d-2b7e5c9d0a11")
"""Fixed namespace for ids of operational events: the same call event always has the same id."""


class OperationsPublisher:
    def __init__(self, broker: KafkaBroker, topics: Topics) -> None:
        self._calls = broker.publisher(
            topics.telephony_calls,
            title="telephony.calls (published by intake)",
            description="Call events from the telephony platform, keyed by call id; consumed by reporting",
            schema=CallEvent,
        )
        self._visits = broker.publisher(
            topics.hub_visits,
            title="hubs.visits (published by intake)",
            description="Visits to One Stop Shops and community hubs, keyed by visit id; consumed by reporting",
            schema=HubVisitEvent,
        )
        self._surveys = broker.publisher(
            topics.survey_responses,
            title="surveys.responses (published by intake)",
            description="Customer satisfaction: surveys, focus groups and mystery shopping, keyed by response id; "
            "consumed by reporting",
            schema=SurveyResponseEvent,
        )

    async def call(self, payload: CallEventPayload) -> CallEvent:
        event = CallEvent.new(
            payload,
            producer=PRODUCER,
            event_id=derived_event_id(_NAMESPACE, f"call:{payload.call_id}:{payload.event}"),
        )
        await self._send(self._calls, event, payload.call_id)
        return event

    async def visit(self, payload: HubVisitPayload) -> HubVisitEvent:
        event = HubVisitEvent.new(
            payload,
            producer=PRODUCER,
            event_id=derived_event_id(_NAMESPACE, f"visit:{payload.hub}:{payload.visit_id}:{payload.event}"),
        )
        await self._send(self._visits, event, payload.visit_id)
        return event

    async def survey_response(self, payload: SurveyResponsePayload) -> SurveyResponseEvent:
        event = SurveyResponseEvent.new(
            payload,
            producer=PRODUCER,
            event_id=derived_event_id(_NAMESPACE, f"survey:{payload.method}:{payload.response_id}"),
        )
        await self._send(self._surveys, event, payload.response_id)
        return event

    @staticmethod
    async def _send(publisher, event, key: str) -> None:
        try:
            await publisher.publish(
                event.to_bytes(),
                key=key.encode(),
                headers={"event-type": event.event_type, "event-id": str(event.event_id)},
            )
        except KafkaError as error:
            raise IntakeUnavailable("the message broker is unavailable") from error
