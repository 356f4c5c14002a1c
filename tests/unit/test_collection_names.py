"""Services may share one MongoDB database (docker compose sets one): no two may write the same collection."""

from frontdoor_complaints.store import CASES
from frontdoor_intake.channels.open311 import OPEN311_REQUESTS
from frontdoor_intake.publishing import REFERENCES
from frontdoor_reporting.projections import PROJECTIONS
from frontdoor_routing.escalation import OFFERS
from frontdoor_routing.first_delivery import RECEIVED


def test_no_two_services_write_the_same_collection():
    owners = {
        "complaints": {CASES},
        "intake": {REFERENCES, OPEN311_REQUESTS},
        "reporting": set(PROJECTIONS),
        "routing": {OFFERS, RECEIVED},
    }
    seen: dict[str, str] = {}
    for service, collections in owners.items():
        for collection in collections:
            assert collection not in seen, f"{collection}: written by {seen[collection]} and by {service}"
            seen[collection] = service
