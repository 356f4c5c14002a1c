"""Routing's offers: an open offer keeps the decision to escalate from, as JSON text; a closed one keeps none."""

from __future__ import annotations

from frontdoor_routing.escalation import offer_writes, offered_event
from frontdoor_shared.contracts import EscalationTarget
from tests.factories import a_routed_event


def _open_event():
    event = a_routed_event()
    target = EscalationTarget(destination="customer_services", priority=40, timeout_minutes=60)
    return event.model_copy(update={"payload": event.payload.model_copy(update={"escalation": (target,)})})


def test_an_open_offer_keeps_its_decision_as_json_text_and_gives_it_back_whole():
    event = _open_event()
    [write] = offer_writes(event)
    assert write._filter == {"_id": str(event.payload.contact_id)}
    offer = write._doc["$set"]
    assert offer["open"] is True and offer["step"] == 0 and offer["destination"] == "waste_recycling"
    assert isinstance(offer["event"], str)
    assert offered_event(offer) == event
    assert "$unset" not in write._doc


def test_an_offer_with_nothing_to_escalate_to_is_closed_and_drops_any_event_kept_before():
    event = a_routed_event()
    assert not event.payload.escalation
    [write] = offer_writes(event)
    assert write._doc["$set"]["open"] is False
    assert "event" not in write._doc["$set"]
    assert write._doc["$unset"] == {"event": ""}


def test_an_offer_written_before_as_a_document_is_still_read():
    event = _open_event()
    assert offered_event({"event": event.model_dump(mode="json")}) == event
