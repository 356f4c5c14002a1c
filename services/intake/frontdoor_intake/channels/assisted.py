"""Channels where staff or systems record contact for the customer: telephony, hubs, letters,
councillors' casework and libraries. Each maps its own record to a `ContactReceived`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from uuid import NAMESPACE_URL, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from frontdoor_shared.contracts import (
    Attachment,
    Channel,
    ContactKind,
    ContactReceived,
    Location,
    OnBehalfOf,
    UkPostcode,
)

from ..customers import customer_ref

Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,20}$")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _contact_id(channel: Channel, reference: str):
    """The same record sent again is the same contact."""
    return uuid5(NAMESPACE_URL, f"frontdoor:{channel.value}:{reference}")


def _location(postcode: str | None, ward: str | None) -> Location | None:
    return Location(postcode=postcode, ward=ward) if postcode or ward else None


class CallRecord(_Record):
    """What the telephony platform sends for each call event."""

    call_id: Short
    event: Literal["offered", "answered", "abandoned", "ended"]
    at: AwareDatetime = Field(description="When it happened, ISO 8601 with offset")
    queue: Short
    caller_number: Phone | None = None
    wait_seconds: float | None = Field(default=None, ge=0, le=86_400)
    talk_seconds: float | None = Field(default=None, ge=0, le=86_400)
    hold_seconds: float | None = Field(default=None, ge=0, le=86_400)
    wrap_up_seconds: float | None = Field(default=None, ge=0, le=86_400)
    disposition: Short | None = None
    resolved_first_time: bool | None = None
    summary: Annotated[str, StringConstraints(max_length=20_000)] | None = Field(
        default=None, description="The advisor's note of what the caller wanted; with `ended` it records the contact"
    )
    kind: ContactKind = ContactKind.UNCLASSIFIED


def contact_from_call(call: CallRecord, key: bytes) -> ContactReceived | None:
    """An ended call with the advisor's note is a contact; the other call events are measures only."""
    if call.event != "ended" or not call.summary:
        return None
    reference = f"call:{call.call_id}"
    return ContactReceived(
        contact_id=_contact_id(Channel.PHONE, reference),
        channel=Channel.PHONE,
        channel_reference=reference,
        kind=call.kind,
        text=call.summary,
        category=None,
        customer_ref=customer_ref(key, phone=call.caller_number),
        received_at=call.at,
    )


class HubVisitRecord(_Record):
    """What the hub's queueing system sends for each visit event."""

    visit_id: Short
    event: Literal["checked_in", "seen", "closed"]
    at: AwareDatetime
    hub: Short = Field(description="The One Stop Shop or community hub, e.g. Compton Centre")
    service: Short | None = None
    notes: Annotated[str, StringConstraints(max_length=20_000)] | None = Field(
        default=None, description="The officer's note of what the visitor wanted; with `seen` it records the contact"
    )
    resolved_first_time: bool | None = None
    partner_agency: Short | None = None
    customer_email: EmailStr | None = None
    customer_phone: Phone | None = None
    postcode: UkPostcode | None = None
    kind: ContactKind = ContactKind.UNCLASSIFIED


def contact_from_visit(visit: HubVisitRecord, key: bytes) -> ContactReceived | None:
    if visit.event != "seen" or not visit.notes:
        return None
    reference = f"{visit.hub}:{visit.visit_id}"
    return ContactReceived(
        contact_id=_contact_id(Channel.FACE_TO_FACE, reference),
        channel=Channel.FACE_TO_FACE,
        channel_reference=reference[:200],
        kind=visit.kind,
        subject=visit.service,
        text=visit.notes,
        customer_ref=customer_ref(key, email=visit.customer_email, phone=visit.customer_phone),
        location=_location(visit.postcode, None),
        received_at=visit.at,
    )


class LetterRecord(_Record):
    """One scanned letter, as the scanning bureau's batch file lists it (CSV columns or JSON Lines keys)."""

    letter_id: Short
    received_on: date
    subject: Annotated[str, StringConstraints(max_length=300)] | None = None
    text: Text
    postcode: UkPostcode | None = None
    ward: Short | None = None
    sender_email: EmailStr | None = None
    sender_phone: Phone | None = None
    scan_ref: Short | None = Field(default=None, description="Where the scanned image is kept")
    scan_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    scan_bytes: int | None = Field(default=None, ge=0)
    kind: ContactKind = ContactKind.UNCLASSIFIED


def contact_from_letter(letter: LetterRecord, key: bytes) -> ContactReceived:
    scan = (
        (
            Attachment(
                filename=f"{letter.letter_id}.pdf",
                content_type="application/pdf",
                size_bytes=letter.scan_bytes or 0,
                sha256=letter.scan_sha256,
                storage_ref=letter.scan_ref,
            ),
        )
        if letter.scan_ref and letter.scan_sha256
        else ()
    )
    return ContactReceived(
        contact_id=_contact_id(Channel.LETTER, letter.letter_id),
        channel=Channel.LETTER,
        channel_reference=letter.letter_id,
        kind=letter.kind,
        subject=letter.subject or None,
        text=letter.text,
        customer_ref=customer_ref(key, email=letter.sender_email, phone=letter.sender_phone),
        location=_location(letter.postcode, letter.ward),
        attachments=scan,
        received_at=datetime.combine(letter.received_on, time(9, 0), tzinfo=UTC),
    )


class CaseworkRecord(_Record):
    """An enquiry a councillor makes on behalf of a constituent."""

    enquiry_id: Short
    member_id: Short
    member_name: Short
    ward: Short
    subject: Annotated[str, StringConstraints(max_length=300)] | None = None
    text: Text
    constituent_email: EmailStr | None = None
    constituent_phone: Phone | None = None
    postcode: UkPostcode | None = None
    kind: ContactKind = ContactKind.UNCLASSIFIED
    received_at: AwareDatetime | None = None


def contact_from_casework(record: CaseworkRecord, key: bytes, now: datetime) -> ContactReceived:
    constituent = customer_ref(key, email=record.constituent_email, phone=record.constituent_phone)
    return ContactReceived(
        contact_id=_contact_id(Channel.COUNCILLOR_CASEWORK, record.enquiry_id),
        channel=Channel.COUNCILLOR_CASEWORK,
        channel_reference=record.enquiry_id,
        kind=record.kind,
        subject=record.subject or None,
        text=record.text,
        customer_ref=constituent,
        location=_location(record.postcode, record.ward),
        on_behalf_of=OnBehalfOf(
            member_id=record.member_id, member_name=record.member_name, ward=record.ward, constituent_ref=constituent
        ),
        received_at=record.received_at or now,
    )


LibraryContactType = Literal["council_service", "digital_help", "library_only"]
"""What a library contact was: a council-service enquiry handled at the library, help to get online,
or a library-only matter (a loan, a PC booking, an event)."""


class LibraryRecord(_Record):
    reference: Short
    library: Short
    what: LibraryContactType
    detail: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,30}$")] | None = Field(
        default=None, description="e.g. loan, pc_booking, event, universal_credit_help, council_tax_enquiry"
    )
    text: Text
    customer_email: EmailStr | None = None
    customer_phone: Phone | None = None
    kind: ContactKind = ContactKind.UNCLASSIFIED
    received_at: AwareDatetime | None = None


def contact_from_library(record: LibraryRecord, key: bytes, now: datetime) -> ContactReceived:
    reference = f"{record.library}:{record.reference}"
    return ContactReceived(
        contact_id=_contact_id(Channel.LIBRARY, reference),
        channel=Channel.LIBRARY,
        channel_reference=reference[:200],
        kind=record.kind,
        text=record.text,
        category=f"library_{record.what}",
        subject=record.detail,
        customer_ref=customer_ref(key, email=record.customer_email, phone=record.customer_phone),
        received_at=record.received_at or now,
    )
