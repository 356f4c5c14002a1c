from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from pydantic import ValidationError

from frontdoor_deploy.contracts import drifted_contracts
from frontdoor_shared.contracts import (
    ContactReceivedEvent,
    derived_event_id,
)
from tests.factories import a_contact


def test_event_round_trips_through_json():
    event = ContactReceivedEvent.new(a_contact(), producer="intake")
    assert ContactReceivedEvent.model_validate_json(event.to_bytes()) == event
    assert event.correlation_id == event.event_id and event.causation_id is None


def test_unknown_fields_are_rejected_in_envelope_and_payload():
    data = ContactReceivedEvent.new(a_contact(), producer="intake").model_dump(mode="json")
    with pytest.raises(ValidationError, match=r"extra_forbidden|Extra inputs"):
        ContactReceivedEvent.model_validate(data | {"surprise": 1})
    data["payload"]["surprise"] = 1
    with pytest.raises(ValidationError) as caught:
        ContactReceivedEvent.model_validate(data)
    assert caught.value.errors()[0]["loc"] == ("payload", "surprise")


def test_wrong_event_type_is_rejected():
    data = ContactReceivedEvent.new(a_contact(), producer="intake").model_dump(mode="json")
    with pytest.raises(ValidationError):
        ContactReceivedEvent.model_validate(data | {"event_type": "contact.routed"})


def test_naive_times_are_refused_and_aware_times_kept_in_utc():
    with pytest.raises(ValidationError, match="timezone"):
        a_contact(received_at=datetime(2010, 1, 5, 9, 30))
    event = ContactReceivedEvent.new(a_contact(), producer="intake")
    bst = timezone(timedelta(hours=1))
    moved = event.model_copy(update={}).model_dump() | {"occurred_at": datetime(2010, 6, 1, 10, tzinfo=bst)}
    assert ContactReceivedEvent.model_validate(moved).occurred_at.utcoffset() == timedelta(0)


def test_postcodes_are_normalised_and_bad_ones_named():
    assert a_contact(location={"postcode": "ls1 4ap"}).location.postcode == "LS1 4AP"
    with pytest.raises(ValidationError) as caught:
        a_contact(location={"postcode": "not a postcode"})
    assert caught.value.errors()[0]["loc"] == ("location", "postcode")


def test_events_that_follow_from_a_cause_share_its_correlation():
    received = ContactReceivedEvent.new(a_contact(), producer="intake")
    follow = ContactReceivedEvent.new(a_contact(), producer="routing", cause=received)
    assert follow.correlation_id == received.correlation_id
    assert follow.causation_id == received.event_id


def test_derived_event_ids_are_stable_per_cause_and_purpose():
    cause = uuid4()
    assert derived_event_id(cause, "contact.routed") == derived_event_id(cause, "contact.routed")
    assert derived_event_id(cause, "contact.routed") != derived_event_id(cause, "other")
    assert derived_event_id(cause, "contact.routed") != derived_event_id(uuid4(), "contact.routed")


def test_committed_json_schemas_and_asyncapi_match_the_code():
    drifted = drifted_contracts()
    assert not drifted, f"run `frontdoor contracts` and commit: {[str(p) for p in drifted]}"
