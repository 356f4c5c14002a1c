"""Property-based fuzzing of every event contract (EVENTS).

- Every event the contract's own JSON Schema describes is accepted, and survives JSON and back unchanged.
- Mutated events, arbitrary JSON and arbitrary bytes are either a valid event or refused with pydantic's
  ValidationError: never any other exception, which a consumer would not turn into a dead letter.

FUZZ_EXAMPLES raises the number of examples per property (CI runs the default).
"""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, ValidationError

from frontdoor_shared.contracts import EVENTS, Envelope
from tests.fuzz.strategies import events_of, examples, json_values, mutated

FUZZ = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)
by_name = pytest.mark.parametrize("model", EVENTS, ids=[event.__name__ for event in EVENTS])


def parse_or_refuse(model: type[Envelope], raw: bytes | str) -> Envelope | None:
    """What a consumer does with a message: the event, or None when pydantic refused it."""
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return None


@by_name
def test_every_event_the_schema_describes_round_trips_through_json(model: type[Envelope]) -> None:
    @FUZZ
    @given(events_of(model))
    def round_trip(data: dict) -> None:
        event = model.model_validate_json(json.dumps(data))
        wire = event.to_bytes()
        again = model.model_validate_json(wire)
        assert again == event
        assert again.to_bytes() == wire, "serialisation is stable"
        assert model.model_validate(json.loads(wire)) == event

    round_trip()


@by_name
def test_mutated_events_are_valid_or_refused_with_a_validation_error(model: type[Envelope]) -> None:
    @FUZZ
    @given(st.data())
    def mutate(data: st.DataObject) -> None:
        valid = data.draw(events_of(model), label="valid")
        hostile = data.draw(mutated(valid), label="mutated")
        event = parse_or_refuse(model, json.dumps(hostile))
        if event is not None:  # a mutation the contract allows: still a well-formed event
            assert model.model_validate_json(event.to_bytes()) == event

    mutate()


@by_name
def test_arbitrary_json_is_refused_with_a_validation_error(model: type[Envelope]) -> None:
    @FUZZ
    @given(json_values)
    def arbitrary(value: object) -> None:
        assert parse_or_refuse(model, json.dumps(value)) is None

    arbitrary()


@by_name
def test_arbitrary_bytes_are_refused_with_a_validation_error(model: type[Envelope]) -> None:
    @FUZZ
    @given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
    def arbitrary(raw: bytes) -> None:
        assert parse_or_refuse(model, raw) is None

    arbitrary()


class Fragile(Envelope):
    """A contract with a validator that fails with something other than ValidationError."""

    payload: Annotated[dict, AfterValidator(lambda value: value["needed"])]


def test_the_fuzzer_can_fail() -> None:
    """A contract that raised anything but ValidationError on bad input would fail the properties above."""
    with pytest.raises(KeyError):
        parse_or_refuse(Fragile, json.dumps({"payload": {}, **_envelope_fields()}))
    with pytest.raises(AssertionError):
        assert parse_or_refuse(EVENTS[0], b"{}") is not None


def _envelope_fields() -> dict[str, object]:
    an_id = "6f1c2a7e-3f5b-4c8e-9a1d-2b7e5c9d0a11"
    return {
        "event_id": an_id,
        "event_type": "x",
        "schema_version": 1,
        "occurred_at": "2010-01-11T10:00:00Z",
        "producer": "fuzz",
        "correlation_id": an_id,
    }
