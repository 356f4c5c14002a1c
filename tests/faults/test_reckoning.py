"""The reckoning itself can fail: a lost contact, a decision queued twice or in the wrong queue, a
projection that differs, each shows in the counts. No infrastructure needed."""

from __future__ import annotations

from types import SimpleNamespace

from tests.factories import a_routed_event

from .harness import compare_documents, compare_queues


def test_a_lost_document_and_a_different_one_are_counted():
    expected = {"a": {"_id": "a", "destination": "highways"}, "b": {"_id": "b", "destination": "housing"}}
    found = [{"_id": "b", "destination": "waste_recycling", "projected_at": "operational, ignored"}]
    tally = compare_documents(expected, found)
    assert (tally.lost, tally.mismatched, tally.duplicated, tally.clean) == (1, 1, 0, False)
    assert compare_documents(expected, [{"_id": "a", "destination": "highways"}, expected["b"]]).clean


def test_a_decision_queued_twice_or_in_the_wrong_queue_is_counted():
    first, second = a_routed_event(), a_routed_event()
    record = lambda event, topic: SimpleNamespace(value=event.to_bytes(), topic=topic)  # noqa: E731
    expected = {str(first.event_id): "queue.waste_recycling", str(second.event_id): "queue.waste_recycling"}
    twice = [record(first, "queue.waste_recycling"), record(first, "queue.waste_recycling")]
    tally = compare_queues(expected, twice)
    assert (tally.duplicated, tally.lost, tally.clean) == (1, 1, False)
    elsewhere = compare_queues(expected, [record(first, "queue.highways"), record(second, "queue.waste_recycling")])
    assert (elsewhere.mismatched, elsewhere.clean) == (1, False)
    right = compare_queues(expected, [record(first, "queue.waste_recycling"), record(second, "queue.waste_recycling")])
    assert right.clean
