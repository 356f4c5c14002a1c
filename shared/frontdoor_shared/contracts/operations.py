"""Operational events from the channels: calls on the telephony platform and visits to hubs.

They feed the call-centre and One Stop Shop measures (service level, speed of answer,
abandonment, handle time, first-contact resolution, visits by hub).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from .base import Contract
from .contact import ShortText


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
