from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from frontdoor_complaints.cases import Procedure, case_writes, procedure_for
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_reporting.projections import contact_writes, council_day
from frontdoor_shared.contracts import (
    Channel,
    ContactKind,
    ContactReceived,
    ContactRouted,
    ContactRoutedEvent,
    DestinationKind,
)

LONDON = ZoneInfo("Europe/London")


def routed(kind=ContactKind.SERVICE_REQUEST, destination="waste_recycling", received_at=None):
    received_at = received_at or datetime(2010, 1, 11, 10, tzinfo=UTC)
    contact = ContactReceived(
        contact_id=uuid4(), channel=Channel.EMAIL, channel_reference="m-1", kind=kind, text="t", received_at=received_at
    )
    return ContactRoutedEvent.new(
        ContactRouted(
            contact_id=contact.contact_id,
            destination=destination,
            destination_kind=DestinationKind.DEPARTMENT,
            queue="q",
            kind=kind,
            priority=1,
            rule_id="r1",
            rules_version="v",
            reason="r",
            due_by=received_at + timedelta(days=1),
            routed_at=received_at,
            contact=contact,
        ),
        producer="test",
    )


def test_council_day_is_local_time():
    assert council_day(datetime(2010, 6, 30, 23, 30, tzinfo=UTC), LONDON) == "2010-07-01"  # BST
    assert council_day(datetime(2010, 1, 31, 23, 30, tzinfo=UTC), LONDON) == "2010-01-31"  # GMT


def test_contact_write_is_an_upsert_keyed_by_contact_and_guarded_by_routing_time():
    event = routed()
    [write] = contact_writes(event, LONDON)
    filter_, update = write._filter, write._doc
    assert filter_["_id"] == str(event.payload.contact_id)
    assert {"routed_at": {"$lt": event.payload.routed_at}} in filter_["$or"]
    assert {"routed_event_id": str(event.event_id)} in filter_["$or"]
    assert update["$set"]["destination"] == "waste_recycling" and write._upsert is True


def test_only_complaints_and_compliments_open_cases_and_opening_never_overwrites():
    assert case_writes(routed(), {}) == []
    [write] = case_writes(routed(ContactKind.COMPLAINT, "complaints_team"), {})
    assert set(write._doc) == {"$setOnInsert"}
    assert write._doc["$setOnInsert"]["procedure"] == "corporate"


def test_statutory_teams_run_their_own_procedure():
    teams = ComplaintsSettings().statutory_teams
    assert procedure_for("adult_social_care_complaints", teams) is Procedure.ADULT_SOCIAL_CARE
    assert procedure_for("childrens_social_care_complaints", teams) is Procedure.CHILDRENS_SOCIAL_CARE
    assert procedure_for("complaints_team", teams) is Procedure.CORPORATE
