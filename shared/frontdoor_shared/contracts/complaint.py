"""Events in a complaint's lifecycle, on complaints.events, keyed by case id."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from .base import Contract
from .contact import Code, ShortText

ComplaintAction = Literal[
    "logged",
    "compliment_recorded",
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
    "deadline_due",
    "deadline_missed",
]


class DeadlineRef(Contract):
    name: Literal["acknowledge", "respond", "panel", "panel_report", "council_response"]
    stage: int = Field(ge=1, le=3)
    due: date


class ComplaintEventPayload(Contract):
    case_id: UUID = Field(description="The contact id of the complaint or compliment")
    action: ComplaintAction
    at: AwareDatetime
    officer_ref: ShortText | None = Field(default=None, description="The officer's reference, not their name")
    procedure: Literal["corporate", "adult_social_care", "childrens_social_care"] | None = Field(
        default=None, description="Set when the case is logged or reclassified as a complaint"
    )
    department: Code | None = None
    category: Code | None = Field(
        default=None, description="For example staff_attitude_conduct, delay, quality_of_service, policy, communication"
    )
    outcome: Literal["upheld", "partly_upheld", "not_upheld"] | None = None
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    extension_working_days: int = Field(default=0, ge=0, le=65)
    agreed_response_by: date | None = None
    learning_points: tuple[Annotated[str, StringConstraints(max_length=1000)], ...] = ()
    referral: ShortText | None = Field(default=None, description="For example scrutiny_board_adults_and_health")
    deadline: DeadlineRef | None = None
