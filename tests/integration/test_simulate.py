"""Trying a candidate rule set against contacts stored in Kafka, publishing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import yaml

from frontdoor_routing.config import load_directory, load_rules
from frontdoor_routing.explain import simulate
from frontdoor_routing.past_contacts import received_between
from frontdoor_routing.settings import RoutingSettings
from frontdoor_shared.contracts import ContactReceivedEvent
from frontdoor_shared.kafka import ensure_topics
from tests.factories import a_contact
from tests.kafka_tools import produce

JANUARY = datetime(2010, 1, 11, 10, tzinfo=UTC)
FEBRUARY = datetime(2010, 2, 11, 10, tzinfo=UTC)


async def test_simulate_counts_what_would_move_between_two_dates(namespace, tmp_path):
    settings = namespace.settings(RoutingSettings)
    await ensure_topics(settings, [settings.topics.contacts_received])
    texts = ["My bin was not emptied", "Bins missed in the snow", "There is a pothole on my road", "Noisy neighbours"]
    events = [ContactReceivedEvent.new(a_contact(text=t, received_at=JANUARY), producer="test") for t in texts]
    events.append(ContactReceivedEvent.new(a_contact(text="bin missed", received_at=FEBRUARY), producer="test"))
    await produce(
        namespace.infra.kafka_bootstrap_servers,
        settings.topics.contacts_received,
        [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in events] + [(b"x", b"not an event")],
    )

    candidate = yaml.safe_load(settings.routing_rules_path.read_text())
    candidate["version"] = "candidate-1"
    for rule in candidate["rules"]:
        if rule["id"] == "bins":
            rule["targets"][0]["destination"] = "customer_services"
    path = tmp_path / "candidate.yaml"
    path.write_text(yaml.safe_dump(candidate))
    directory = load_directory(settings.routing_directory_path)
    current, trial = load_rules(settings.routing_rules_path, directory), load_rules(path, directory)

    contacts = [c async for c in received_between(settings, date(2010, 1, 1), date(2010, 1, 31), current.zone)]
    report = simulate(contacts, current, trial)

    assert report.contacts == 4, "February's contact and the malformed message are left out"
    assert dict(report.moved) == {("waste_recycling", "customer_services"): 2}
    assert report.unchanged == 2
    assert "2 would move" in report.as_text() and report.as_dict()["candidate_rules_version"] == "candidate-1"
