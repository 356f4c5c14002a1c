"""Payloads about a contact: what intake received and where routing sent it."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from .base import Contract


class Channel(StrEnum):
    """The ways a customer reaches the council."""

    PHONE = "phone"
    FACE_TO_FACE = "face_to_face"
    WEB = "web"
    OPEN311 = "open311"
    EMAIL = "email"
    SOCIAL_MEDIA = "social_media"
    LETTER = "letter"
    LIBRARY = "library"
    COUNCILLOR_CASEWORK = "councillor_casework"


class ContactKind(StrEnum):
    """The Ombudsman's kinds of contact, plus `unclassified` when intake cannot tell."""

    SERVICE_REQUEST = "service_request"
    COMPLAINT = "complaint"
    COMPLIMENT = "compliment"
    COMMENT = "comment"
    ENQUIRY = "enquiry"
    UNCLASSIFIED = "unclassified"


class CustomerFlag(StrEnum):
    VULNERABLE = "vulnerable"
    ACCESSIBILITY_NEEDS = "accessibility_needs"
    INTERPRETER_NEEDED = "interpreter_needed"


class DestinationKind(StrEnum):
    DEPARTMENT = "department"
    PARTNER_AGENCY = "partner_agency"


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$")


def _uk_postcode(value: str) -> str:
    """Normalise to upper case with one space before the inward code: "ls14ap" -> "LS1 4AP"."""
    match = _POSTCODE.match("".join(value.split()).upper())
    if not match:
        raise ValueError("not a UK postcode")
    return f"{match[1]} {match[2]}"


UkPostcode = Annotated[str, StringConstraints(max_length=10), AfterValidator(_uk_postcode)]


class Coordinates(Contract):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Location(Contract):
    postcode: UkPostcode | None = None
    ward: ShortText | None = None
    uprn: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")] | None = Field(
        default=None, description="Unique Property Reference Number"
    )
    coordinates: Coordinates | None = None


class OnBehalfOf(Contract):
    """Councillors' casework: the member who raised the contact for a constituent."""

    member_id: ShortText
    member_name: ShortText
    ward: ShortText
    constituent_ref: ShortText | None = Field(
        default=None, description="Pseudonymous reference of the constituent, if known"
    )


class Attachment(Contract):
    """Metadata and a storage reference; the content itself never travels in an event."""

    filename: ShortText
    content_type: ShortText
    size_bytes: int = Field(ge=0)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    storage_ref: ShortText


class ContactReceived(Contract):
    contact_id: UUID
    channel: Channel
    channel_reference: ShortText = Field(description="The channel's own reference for this contact")
    kind: ContactKind = Field(description="The kind of contact as intake saw it")
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    text: Annotated[str, StringConstraints(max_length=20_000)]
    category: Code | None = Field(default=None, description="The category the customer chose, if any")
    service_code: ShortText | None = Field(default=None, description="Open311 service code, if any")
    customer_ref: ShortText | None = Field(
        default=None,
        description="Pseudonymous customer reference; raw personal details never travel in events",
    )
    customer_flags: frozenset[CustomerFlag] = frozenset()
    location: Location | None = None
    on_behalf_of: OnBehalfOf | None = None
    attachments: tuple[Attachment, ...] = ()
    received_at: AwareDatetime


class RunnerUp(Contract):
    """The rule that would have decided had the winning rule not matched."""

    rule_id: Code
    destination: Code


class EscalationTarget(Contract):
    """Where a contact is offered next if it is not accepted in time."""

    destination: Code
    priority: int = Field(ge=0, le=100)
    timeout_minutes: int = Field(ge=1)


class ContactRouted(Contract):
    contact_id: UUID
    destination: Code = Field(description="Code of the department or partner agency")
    destination_name: ShortText
    destination_kind: DestinationKind
    queue: str = Field(description="The queue topic the contact was published to")
    kind: ContactKind = Field(description="The kind of contact as routing classified it")
    priority: int = Field(ge=0, le=100, description="Higher is more urgent")
    rule_id: Code
    rules_version: ShortText
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    matched_facts: tuple[Annotated[str, StringConstraints(max_length=1000)], ...] = Field(
        default=(), description="The facts about the contact that decided its kind and destination"
    )
    runner_up: RunnerUp | None = None
    safeguarding: bool = Field(default=False, description="Sent for a risk of harm to a child or vulnerable adult")
    statutory_procedure: Literal["adult_social_care", "childrens_social_care"] | None = Field(
        default=None, description="Set when the contact is a statutory social care complaint"
    )
    escalation: tuple[EscalationTarget, ...] = Field(
        default=(), description="Where the contact is offered next, in order, if not accepted by due_by"
    )
    escalation_step: int = Field(default=0, ge=0, description="0 for the first decision, then 1, 2, ... per escalation")
    due_by: AwareDatetime
    routed_at: AwareDatetime
    contact: ContactReceived = Field(description="The contact as received, for the team that works it")


class ContactAccepted(Contract):
    """A department or partner agency has taken a contact from its queue."""

    contact_id: UUID
    destination: Code = Field(description="The department or partner agency that accepted it")
    accepted_by: ShortText = Field(description="Who accepted it: a team or an officer's reference, not a name")
    accepted_at: AwareDatetime


class ContactFollowUp(Contract):
    """A further message on a contact already received: an email reply, a second letter, a call back."""

    contact_id: UUID
    channel: Channel
    channel_reference: ShortText = Field(description="The channel's own reference for this message")
    text: Annotated[str, StringConstraints(max_length=20_000)]
    attachments: tuple[Attachment, ...] = ()
    received_at: AwareDatetime
