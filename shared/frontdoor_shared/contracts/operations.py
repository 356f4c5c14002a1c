"""Operational events from the channels: calls on the telephony platform, visits to hubs and
customers' answers to satisfaction surveys.

They feed the call-centre and One Stop Shop measures (service level, speed of answer,
abandonment, handle time, first-contact resolution, visits by hub) and customer satisfaction.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from .base import Contract
from .contact import Channel, Code, ShortText


class CallEventPayload(Contract):
    call_id: ShortText = Field(description="The telephony platform's id for the call")
    event: Literal["offered", "answered", "abandoned", "ended"]
    at: AwareDatetime
    queue: ShortText = Field(description="The call-centre queue the call came in on")
    wait_seconds: float | None = Field(default=None, ge=0, description="Time queued before answer or abandonment")
    talk_seconds: float | None = Field(default=None, ge=0)
    hold_seconds: float | None = Field(default=None, ge=0)
    wrap_up_seconds: float | None = Field(default=None, ge=0, description="After-call work")
    disposition: ShortText | None = None
    resolved_first_time: bool | None = Field(default=None, description="The advisor's flag: resolved in this call")
    customer_ref: ShortText | None = None
    contact_id: str | None = Field(default=None, description="The contact the call was recorded as, if any")


class HubVisitPayload(Contract):
    visit_id: ShortText
    event: Literal["checked_in", "seen", "closed"]
    at: AwareDatetime
    hub: ShortText = Field(description="The One Stop Shop or community hub")
    service: ShortText | None = Field(default=None, description="What the visit was about")
    resolved_first_time: bool | None = None
    partner_agency: ShortText | None = Field(default=None, description="A partner agency seen at the hub, if any")
    customer_ref: ShortText | None = None
    contact_id: str | None = None


class SurveyResponsePayload(Contract):
    """One customer's answer to a satisfaction survey, a focus group or a mystery-shopping visit."""

    response_id: ShortText = Field(description="The survey tool's id for this response")
    method: Literal["survey", "focus_group", "mystery_shopping"]
    at: AwareDatetime
    channel: Channel | None = Field(default=None, description="The channel the response is about, if any")
    department: Code | None = Field(default=None, description="The department the response is about, if any")
    score: int = Field(ge=1, le=5, description="1 very dissatisfied ... 5 very satisfied")
    resolved_first_time: bool | None = Field(
        default=None, description="The customer's answer: was it sorted out at the first contact?"
    )
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None
    contact_id: str | None = Field(default=None, description="The contact the response is about, if known")
