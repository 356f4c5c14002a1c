"""Publishing the channels' operational events (calls, hub visits, survey responses) for reporting."""

from __future__ import annotations

from typing import TypeVar
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
from frontdoor_shared.contracts.envelope import Envelope, derived_event_id
from frontdoor_shared.kafka import publish_options
from frontdoor_shared.topics import Topics

from .publishing import PRODUCER, IntakeUnavailable

_NAMESPACE = UUID("6f1c2a7e-3f5b-4c8e-9a1d-2b7e5c9d0a11")
"""Fixed namespace for ids of operational events: the same call event always has the same id."""

E = TypeVar("E", bound=Envelope)


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
        id_text = f"call:{payload.call_id}:{payload.event}"
        return await self._publish(self._calls, CallEvent, payload, id_text, key=payload.call_id)

    async def visit(self, payload: HubVisitPayload) -> HubVisitEvent:
        id_text = f"visit:{payload.hub}:{payload.visit_id}:{payload.event}"
        return await self._publish(self._visits, HubVisitEvent, payload, id_text, key=payload.visit_id)

    async def survey_response(self, payload: SurveyResponsePayload) -> SurveyResponseEvent:
        id_text = f"survey:{payload.method}:{payload.response_id}"
        return await self._publish(self._surveys, SurveyResponseEvent, payload, id_text, key=payload.response_id)

    @staticmethod
    async def _publish(publisher, event_class: type[E], payload, id_text: str, *, key: str) -> E:
        """Publish `payload` as an `event_class` event whose id is derived from `id_text`, keyed by the entity id."""
        event = event_class.new(payload, producer=PRODUCER, event_id=derived_event_id(_NAMESPACE, id_text))
        try:
            await publisher.publish(
                event.to_bytes(),
                key=key.encode(),
                **publish_options(event),
            )
        except KafkaError as error:
            raise IntakeUnavailable("the message broker is unavailable") from error
        return event
