from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from frontdoor_reporting.projections import contact_writes, council_day
from frontdoor_shared.contracts import Channel, ContactKind
from tests.factories import a_routed_event

LONDON = ZoneInfo("Europe/London")


def routed(kind=ContactKind.SERVICE_REQUEST, destination="waste_recycling"):
    return a_routed_event(kind, destination, channel=Channel.EMAIL)


def test_council_day_is_local_time():
    assert council_day(datetime(2010, 6, 30, 23, 30, tzinfo=UTC), LONDON) == "2010-07-01"  # BST
    assert council_day(datetime(2010, 1, 31, 23, 30, tzinfo=UTC), LONDON) == "2010-01-31"  # GMT


def test_contact_write_is_an_upsert_keyed_by_contact_alone():
    event = routed()
    [write] = contact_writes(event, LONDON)
    assert write._filter == {"_id": str(event.payload.contact_id)}
    assert write._doc["$set"]["destination"] == "waste_recycling" and write._upsert is True
    assert write._doc["$set"]["routed_event_id"] == str(event.event_id)
