import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from frontdoor_intake.channels.web import WebContactForm, contact_from_web_form
from frontdoor_intake.customers import customer_ref
from frontdoor_shared.contracts import Channel, ContactKind, CustomerFlag

KEY = b"unit-test-key-0123456789"


def test_a_form_becomes_a_contact_without_personal_details():
    form = WebContactForm(
        submission_id="f-1",
        kind="complaint",
        subject="Bins",
        message="Missed again",
        name="Ann Example",
        email="Ann@Example.org",
        phone="0113 496 0000",
        postcode="ls6 2ab",
        latitude=53.8,
        longitude=-1.57,
        needs_support=True,
    )
    contact = contact_from_web_form(form, KEY, now=datetime(2010, 1, 5, tzinfo=UTC))
    assert contact.channel is Channel.WEB and contact.kind is ContactKind.COMPLAINT
    assert contact.channel_reference == "f-1"
    assert contact.location.postcode == "LS6 2AB"
    assert contact.location.coordinates.latitude == 53.8
    assert contact.customer_flags == {CustomerFlag.VULNERABLE}
    serialised = contact.model_dump_json()
    for personal in ("Ann", "Example", "example.org", "496"):
        assert personal not in serialised


def test_the_same_person_gets_the_same_reference_on_any_channel():
    assert customer_ref(KEY, email=" ANN@example.org ") == customer_ref(KEY, email="ann@example.org")
    assert customer_ref(KEY, phone="+44 113 496 0000") == customer_ref(KEY, phone="0113 4960000")
    assert customer_ref(KEY, email="ann@example.org") != customer_ref(
        b"another-key-0123456789", email="ann@example.org"
    )
    assert customer_ref(KEY) is None


def test_a_resubmitted_form_is_the_same_contact_and_event():
    form = WebContactForm(submission_id="f-2", message="hello")
    first, second = contact_from_web_form(form, KEY), contact_from_web_form(form, KEY)
    assert first.contact_id == second.contact_id
    anonymous = WebContactForm(message="hello")
    assert contact_from_web_form(anonymous, KEY).contact_id != contact_from_web_form(anonymous, KEY).contact_id


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"message": ""}, "message"),
        ({"message": "x", "email": "not-an-email"}, "email"),
        ({"message": "x", "password": "hunter2"}, "password"),
        ({"message": "x", "latitude": 123}, "latitude"),
        ({"message": "x", "kind": "moan"}, "kind"),
    ],
)
def test_bad_forms_are_refused_naming_the_field(fields, where):
    with pytest.raises(ValidationError) as caught:
        WebContactForm.model_validate_json(json.dumps(fields))
    assert caught.value.errors()[0]["loc"][0] == where


def test_a_bad_postcode_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        WebContactForm(message="x", postcode="nowhere")
    assert caught.value.errors()[0]["loc"] == ("postcode",)
    assert "not a UK postcode" in caught.value.errors()[0]["msg"]
