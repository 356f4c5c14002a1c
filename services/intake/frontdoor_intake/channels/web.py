"""The council website's contact form, as JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import NAMESPACE_URL, uuid4, uuid5

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from frontdoor_shared.contracts import (
    Channel,
    ContactKind,
    ContactReceived,
    Coordinates,
    CustomerFlag,
    Location,
    UkPostcode,
)

from ..customers import customer_ref


class WebContactForm(BaseModel):
    """What the website's contact form posts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    submission_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None,
        description="The form's own id for this submission; resubmitting the same id does not make a second contact",
    )
    kind: ContactKind = Field(default=ContactKind.UNCLASSIFIED, description="What the customer said they are doing")
    category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")] | None = None
    subject: Annotated[str, StringConstraints(max_length=300)] | None = None
    message: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,20}$")] | None = None
    postcode: UkPostcode | None = None
    ward: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    uprn: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")] | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    needs_support: bool = Field(default=False, description="The customer said they need extra support")


def contact_from_web_form(form: WebContactForm, key: bytes, now: datetime | None = None) -> ContactReceived:
    """Map a form to a contact; raises pydantic's ValidationError naming any field the contract refuses."""
    contact_id = uuid5(NAMESPACE_URL, f"frontdoor:web:{form.submission_id}") if form.submission_id else uuid4()
    has_location = any(v is not None for v in (form.postcode, form.ward, form.uprn, form.latitude))
    coordinates = (
        Coordinates(latitude=form.latitude, longitude=form.longitude)
        if form.latitude is not None and form.longitude is not None
        else None
    )
    return ContactReceived(
        contact_id=contact_id,
        channel=Channel.WEB,
        channel_reference=form.submission_id or f"web-{contact_id}",
        kind=form.kind,
        subject=form.subject or None,
        text=form.message,
        category=form.category,
        customer_ref=customer_ref(key, email=form.email, phone=form.phone),
        customer_flags=frozenset({CustomerFlag.VULNERABLE}) if form.needs_support else frozenset(),
        location=Location(postcode=form.postcode, ward=form.ward, uprn=form.uprn, coordinates=coordinates)
        if has_location
        else None,
        received_at=now or datetime.now(UTC),
    )
