"""The Open311 GeoReport v2 channel: FixMyStreet's own request bodies in, GeoReport JSON and XML out.

The requests projection runs against the real Mongo server (or the stand-in on 127.0.0.1:27017).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode
from uuid import UUID, uuid4, uuid5

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from frontdoor_deploy.infrastructure import local_mongo
from frontdoor_intake.channels.open311 import (
    OPEN311_REQUESTS,
    Open311ConfigError,
    load_catalog,
    open311_router,
    writes_for_received,
    writes_for_routed,
)
from frontdoor_intake.customers import customer_ref
from frontdoor_intake.publishing import Accepted, IntakeUnavailable, reference_key
from frontdoor_intake.settings import IntakeSettings
from frontdoor_shared.contracts import (
    Channel,
    ContactKind,
    ContactReceived,
    ContactReceivedEvent,
    ContactRouted,
    ContactRoutedEvent,
    DestinationKind,
)
from frontdoor_shared.kafka import DeliveryAttempts
from frontdoor_shared.projection import Projector
from tests.factories import a_contact

KEY = b"unit-test-key-0123456789"
FMS_KEY = "fms-key-not-a-secret"
JURISDICTION = "leeds.example.gov.uk"
SETTINGS = IntakeSettings(
    customer_ref_key="test-key-not-a-secret-0123456789",
    open311_api_keys={"fixmystreet": FMS_KEY},
    open311_jurisdiction_id=JURISDICTION,
)
FORM = {"content-type": "application/x-www-form-urlencoded"}

# What FixMyStreet's Open311 client posts for a pothole report (perllib/Open311.pm and the UK cobrands'
# open311_extra_data_include): the GeoReport fields, two photos, and server-set attributes beside the answers.
FMS_POTHOLE = [
    ("jurisdiction_id", JURISDICTION),
    ("api_key", FMS_KEY),
    ("service_code", "potholes"),
    ("lat", "53.799461"),
    ("long", "-1.567881"),
    ("email", "ann.example@example.org"),
    ("first_name", "Ann"),
    ("last_name", "Example"),
    ("phone", "0113 496 0000"),
    (
        "description",
        "title: Deep pothole by the bus stop\n\ndetail: Outside number 12, cyclists swerve into the traffic\n\n"
        "url: https://www.fixmystreet.com/report/1001\n\nSubmitted via FixMyStreet\n",
    ),
    ("media_url", "https://www.fixmystreet.com/photo/1001.0.full.jpeg"),
    ("media_url", "https://www.fixmystreet.com/photo/1001.1.full.jpeg"),
    ("attribute[depth]", "over_100mm"),
    ("attribute[surface]", "road"),
    ("attribute[fixmystreet_id]", "1001"),
    ("attribute[title]", "Deep pothole by the bus stop"),
    ("attribute[description]", "Outside number 12, cyclists swerve into the traffic"),
    ("attribute[report_url]", "https://www.fixmystreet.com/report/1001"),
    ("attribute[easting]", "428511"),
    ("attribute[northing]", "433918"),
    ("attribute[category]", "Potholes"),
    ("attribute[closest_address]", "Nearest road: Kirkstall Road\n\nNearest postcode: LS3 1HS\n\n"),
    ("attribute[emergency]", ""),
]


def report(*, without: tuple[str, ...] = (), **changes: str) -> list[tuple[str, str]]:
    """FixMyStreet's pothole report with some fields left out or changed."""
    pairs = [(name, value) for name, value in FMS_POTHOLE if name not in without and name not in changes]
    return pairs + list(changes.items())


def form(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs).encode()


class FakeIntake:
    """Accepts each channel reference once, as KafkaIntake does; `unavailable` plays a broker outage."""

    def __init__(self) -> None:
        self.published: list[ContactReceived] = []
        self.references: dict[str, UUID] = {}
        self.unavailable = False

    async def accept(self, contact: ContactReceived) -> Accepted:
        if self.unavailable:
            raise IntakeUnavailable("the message broker is unavailable")
        reference = reference_key(contact)
        if known := self.references.get(reference):
            return Accepted(known, uuid5(known, "contact.received"), duplicate=True)
        self.references[reference] = contact.contact_id
        self.published.append(contact)
        return Accepted(contact.contact_id, uuid5(contact.contact_id, "contact.received"))

    async def accept_many(self, contacts: list[ContactReceived]) -> list[Accepted | IntakeUnavailable]:
        raise NotImplementedError

    async def follow_up(self, message):
        raise NotImplementedError


def client_for(intake: FakeIntake, requests: AsyncCollection) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(open311_router(intake, requests, SETTINGS, KEY))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


@pytest.fixture
def intake() -> FakeIntake:
    return FakeIntake()


@pytest.fixture
async def client(intake: FakeIntake) -> AsyncIterator[httpx.AsyncClient]:
    """For what needs no database: a client that never connects."""
    unused = AsyncMongoClient("mongodb://127.0.0.1:9", connect=False, serverSelectionTimeoutMS=200)
    async with client_for(intake, unused["unused"][OPEN311_REQUESTS]) as http:
        yield http
    await unused.close()


@pytest.fixture(scope="module")
def mongo_url() -> Iterator[str]:
    if url := os.environ.get("MONGODB_URL"):
        yield url
        return
    mongo = local_mongo()
    started_here = not mongo.is_running()
    yield mongo.start()
    if started_here:
        mongo.stop()


@pytest.fixture
async def requests(mongo_url: str) -> AsyncIterator[AsyncCollection]:
    """The open311_requests projection in a database of its own, dropped afterwards."""
    mongo = AsyncMongoClient(mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000)
    database = f"frontdoor_open311_{uuid4().hex[:10]}"
    yield mongo[database][OPEN311_REQUESTS]
    await mongo.drop_database(database)
    await mongo.close()


def errors_of(response: httpx.Response) -> list[str]:
    """The descriptions in a GeoReport error body, JSON or XML, after checking each carries the status code."""
    if response.headers["content-type"].startswith("text/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        pairs = [(int(e.findtext("code")), e.findtext("description")) for e in root.iter("error")]
    else:
        pairs = [(item["code"], item["description"]) for item in response.json()]
    assert pairs and all(code == response.status_code for code, _ in pairs)
    return [description for _, description in pairs]


# ---------------------------------------------------------------------------------------------------- services


async def test_the_service_list_comes_from_the_catalogue_with_groups_and_metadata(client):
    listed = (await client.get("/open311/v2/services.json")).json()
    by_code = {service["service_code"]: service for service in listed}
    assert {"potholes", "street_lighting", "flytipping", "missed_bin", "noise", "abandoned_vehicle"} <= set(by_code)
    pothole = by_code["potholes"]
    assert pothole["service_name"] == "Pothole" and pothole["group"] == "Roads and pavements"
    assert pothole["metadata"] is True and pothole["type"] == "realtime" and "pothole" in pothole["keywords"]
    assert by_code["dog_fouling"]["metadata"] is False

    response = await client.get("/open311/v2/services.xml", params={"jurisdiction_id": JURISDICTION})
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.content)
    assert root.tag == "services" and len(root.findall("service")) == len(listed)
    lights = next(s for s in root.findall("service") if s.findtext("service_code") == "street_lighting")
    assert lights.findtext("metadata") == "true" and lights.findtext("group") == "Street lighting"


async def test_a_service_definition_marks_the_required_questions(client):
    definition = (await client.get("/open311/v2/services/potholes.json")).json()
    assert definition["service_code"] == "potholes"
    depth, surface = definition["attributes"]
    assert (depth["code"], depth["datatype"], depth["required"], depth["order"]) == (
        "depth",
        "singlevaluelist",
        True,
        1,
    )
    assert {"key": "over_100mm", "name": "Deeper than 100mm"} in depth["values"]
    assert surface["required"] is False and depth["variable"] is True

    root = ET.fromstring((await client.get("/open311/v2/services/potholes.xml")).content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "potholes"
    [first, _] = root.find("attributes").findall("attribute")
    assert first.findtext("required") == "true"
    assert [v.findtext("key") for v in first.find("values").findall("value")] == [
        "under_40mm",
        "40mm_to_100mm",
        "over_100mm",
    ]


async def test_unknown_services_formats_and_jurisdictions_are_named(client):
    response = await client.get("/open311/v2/services/sinkhole.xml")
    assert response.status_code == 404 and "sinkhole" in errors_of(response)[0]
    response = await client.get("/open311/v2/services/sinkhole.json")
    assert response.status_code == 404 and "service_code" in errors_of(response)[0]
    response = await client.get("/open311/v2/services.csv")
    assert response.status_code == 404 and ".json or .xml" in errors_of(response)[0]
    response = await client.get("/open311/v2/services.json", params={"jurisdiction_id": "elsewhere.gov.uk"})
    assert response.status_code == 400 and "jurisdiction_id" in errors_of(response)[0]


def test_the_catalogue_refuses_a_department_the_directory_does_not_have(tmp_path):
    services = tmp_path / "open311-services.yaml"
    services.write_text("services:\n  - {code: potholes, name: Pothole, department: roads}\n")
    with pytest.raises(Open311ConfigError, match=r"services\[0\] \(potholes\): department 'roads' is not"):
        load_catalog(services)
    services.write_text(
        "services:\n  - {code: potholes, name: Pothole, department: highways,\n"
        "     attributes: [{code: depth, description: How deep, datatype: singlevaluelist}]}\n"
    )
    with pytest.raises(Open311ConfigError, match=r"\(potholes\): attributes\.0: .*singlevaluelist needs values"):
        load_catalog(services)


# ------------------------------------------------------------------------------------------------ POST requests


async def test_a_fixmystreet_report_becomes_a_contact_without_personal_details(client, intake):
    response = await client.post("/open311/v2/requests.json", content=form(report()), headers=FORM)
    assert response.status_code == 200, response.text
    [answer] = response.json()
    [contact] = intake.published
    assert answer["service_request_id"] == str(contact.contact_id)
    assert "Highways and Streets" in answer["service_notice"]

    assert contact.channel is Channel.OPEN311 and contact.kind is ContactKind.SERVICE_REQUEST
    assert contact.channel_reference == "fixmystreet:1001" and contact.service_code == "potholes"
    assert contact.subject == "Deep pothole by the bus stop"
    assert contact.location.coordinates.latitude == 53.799461 and contact.location.coordinates.longitude == -1.567881
    assert contact.location.postcode == "LS3 1HS"
    assert contact.customer_ref == customer_ref(KEY, email="ann.example@example.org")
    assert "How deep is it? Deeper than 100mm" in contact.text and "Where is it? In the road" in contact.text
    assert "Photo: https://www.fixmystreet.com/photo/1001.1.full.jpeg" in contact.text
    serialised = contact.model_dump_json()
    for personal in ("Ann", "Example", "ann.example", "0113", "496 0000"):
        assert personal not in serialised


async def test_the_answer_in_xml_is_a_service_requests_document(client, intake):
    response = await client.post("/open311/v2/requests.xml", content=form(report()), headers=FORM)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    assert root.find("request").findtext("service_request_id") == str(intake.published[0].contact_id)


async def test_the_same_fixmystreet_report_twice_is_one_request(client, intake):
    first = (await client.post("/open311/v2/requests.json", content=form(report()), headers=FORM)).json()
    again = await client.post("/open311/v2/requests.json", content=form(report(description="resent")), headers=FORM)
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == first[0]["service_request_id"]
    assert len(intake.published) == 1


async def test_without_an_app_id_the_same_report_is_recognised_by_its_content(client, intake):
    anonymous = report(without=("attribute[fixmystreet_id]",))
    first = (await client.post("/open311/v2/requests.json", content=form(anonymous), headers=FORM)).json()
    again = (await client.post("/open311/v2/requests.json", content=form(anonymous), headers=FORM)).json()
    another = report(without=("attribute[fixmystreet_id]",), description="A second pothole")
    other = (await client.post("/open311/v2/requests.json", content=form(another), headers=FORM)).json()
    assert first[0]["service_request_id"] == again[0]["service_request_id"] != other[0]["service_request_id"]
    reference = intake.published[0].channel_reference
    assert reference.startswith("fixmystreet:h-") and "ann" not in reference


@pytest.mark.parametrize("api_key", [None, "guessed-key"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_missing_or_wrong_api_key_is_refused(client, intake, api_key, fmt):
    body = report(without=("api_key",)) + ([("api_key", api_key)] if api_key else [])
    response = await client.post(f"/open311/v2/requests.{fmt}", content=form(body), headers=FORM)
    assert response.status_code == 403 and "api_key" in errors_of(response)[0]
    assert intake.published == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report(service_code="sinkhole"), "service_code"),
        (report(without=("service_code",)), "service_code"),
        (report(without=("lat", "long")), "location is required"),
        (report(without=("long",)), "long"),
        (report(lat="91"), "lat"),
        (report(lat="north"), "lat"),
        (report(without=("attribute[depth]",)), "attribute[depth] is required"),
        (report(**{"attribute[depth]": "bottomless"}), "attribute[depth]: 'bottomless' is not one of"),
        (report(description="x" * 10_001), "description"),
        (report(email="not an address"), "email"),
        (report(**{"attribute[fixmystreet_id]": "1001; drop"}), "attribute[fixmystreet_id]"),
        (report(**{"attribute[title]": "t" * 301}), "attribute[title]"),
        (report(**{"attribute[note]": "n" * 2001}), "attribute[note]"),
        (report(media_url="javascript:alert(1)"), "media_url"),
        (report(jurisdiction_id="elsewhere.gov.uk"), "jurisdiction_id"),
        ([*report(), ("attribute", "x")], "attribute"),
    ],
)
async def test_bad_input_is_a_400_that_names_the_field(client, intake, body, field):
    response = await client.post("/open311/v2/requests.json", content=form(body), headers=FORM)
    assert response.status_code == 400, response.text
    assert any(field in description for description in errors_of(response)), errors_of(response)
    assert intake.published == []


async def test_an_address_alone_is_a_location_and_gives_the_postcode(client, intake):
    body = report(without=("lat", "long", "attribute[closest_address]"), address_string="12 Kirkstall Rd, ls4 2aa")
    assert (await client.post("/open311/v2/requests.json", content=form(body), headers=FORM)).status_code == 200
    [contact] = intake.published
    assert contact.location.postcode == "LS4 2AA" and contact.location.coordinates is None
    assert "Address: 12 Kirkstall Rd, ls4 2aa" in contact.text


async def test_only_form_encoded_bodies_are_taken(client, intake):
    response = await client.post("/open311/v2/requests.json", json=dict(report()))
    assert response.status_code == 400 and "application/x-www-form-urlencoded" in errors_of(response)[0]
    response = await client.post("/open311/v2/requests.xml", content=b"\xff\xfe", headers=FORM)
    assert response.status_code == 400 and "UTF-8" in errors_of(response)[0]
    assert intake.published == []


async def test_when_intake_is_unavailable_the_app_is_told_to_try_again(client, intake):
    intake.unavailable = True
    response = await client.post("/open311/v2/requests.xml", content=form(report()), headers=FORM)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert "try again" in errors_of(response)[0]
    intake.unavailable = False
    assert (await client.post("/open311/v2/requests.xml", content=form(report()), headers=FORM)).status_code == 200


# ----------------------------------------------------------------------------------------- the requests projection


def routed(contact: ContactReceived, destination: str, name: str, kind: DestinationKind, at: datetime):
    return ContactRoutedEvent.new(
        ContactRouted(
            contact_id=contact.contact_id,
            destination=destination,
            destination_name=name,
            destination_kind=kind,
            queue=f"queue.{destination}",
            kind=ContactKind.SERVICE_REQUEST,
            priority=40,
            rule_id="potholes",
            rules_version="t",
            reason="test",
            due_by=at + timedelta(days=2),
            routed_at=at,
            contact=contact,
        ),
        producer="routing",
    )


async def project(requests: AsyncCollection, *events: ContactReceivedEvent | ContactRoutedEvent) -> None:
    """Through the project's projection consumer, one message per event, as the lead will wire it."""
    for offset, event in enumerate(events):
        received = isinstance(event, ContactReceivedEvent)
        projector = Projector(
            event=type(event),
            collection=requests,
            writes_for=writes_for_received if received else writes_for_routed,
            publish_dead_letter=pytest.fail,
            consumer_group="test",
            attempts=DeliveryAttempts(3),
        )
        record = SimpleNamespace(topic="t", partition=0, offset=offset, key=None, headers=(), value=event.to_bytes())
        assert await projector.project([record])


async def test_a_request_passed_to_a_partner_agency_is_closed_as_not_the_councils_responsibility(intake, requests):
    async with client_for(intake, requests) as http:
        answer = (await http.post("/open311/v2/requests.json", content=form(report()), headers=FORM)).json()
        [contact] = intake.published
        request_id = answer[0]["service_request_id"]
        received = ContactReceivedEvent.new(contact, producer="intake")
        await project(requests, received)
        [shown] = (await http.get(f"/open311/v2/requests/{request_id}.json")).json()
        assert (shown["status"], shown["extended_attributes"]["status"]) == ("open", "open")

        water = routed(
            contact,
            "utilities",
            "Yorkshire Water",
            DestinationKind.PARTNER_AGENCY,
            contact.received_at + timedelta(minutes=5),
        )
        await project(requests, water)
        [shown] = (await http.get(f"/open311/v2/requests/{request_id}.json")).json()
        assert shown["service_request_id"] == request_id and shown["service_code"] == "potholes"
        assert shown["status"] == "closed"
        assert shown["extended_attributes"]["status"] == "not_councils_responsibility"
        assert "Yorkshire Water" in shown["status_notes"] and shown["agency_responsible"] == "Yorkshire Water"
        assert shown["lat"] == 53.799461 and shown["zipcode"] == "LS3 1HS" and shown["service_name"] == "Pothole"
        assert datetime.fromisoformat(shown["updated_datetime"]) == water.payload.routed_at.replace(microsecond=0)

        stored = await requests.find_one({"_id": request_id})
        older = routed(contact, "highways", "Highways and Streets", DestinationKind.DEPARTMENT, contact.received_at)
        await project(requests, water, older, received)  # a redelivery, an older decision, the report again
        assert await requests.find_one({"_id": request_id}) == stored

        root = ET.fromstring((await http.get(f"/open311/v2/requests/{request_id}.xml")).content)
        request = root.find("request")
        assert root.tag == "service_requests" and request.findtext("status") == "closed"
        assert request.find("extended_attributes").findtext("status") == "not_councils_responsibility"

        span = {
            "start_date": (contact.received_at - timedelta(hours=1)).isoformat(),
            "end_date": (contact.received_at + timedelta(hours=1)).isoformat(),
        }
        updates = ET.fromstring((await http.get("/open311/v2/servicerequestupdates.xml", params=span)).content)
        [update] = updates.findall("request_update")
        assert update.findtext("service_request_id") == request_id
        assert update.findtext("status") == "NOT_COUNCILS_RESPONSIBILITY" and update.findtext("update_id")
        assert "Yorkshire Water" in update.findtext("description")


async def test_a_request_routed_to_a_department_is_in_progress_whatever_order_the_events_come(intake, requests):
    contact = a_contact(channel=Channel.OPEN311, channel_reference="fixmystreet:7", service_code="missed_bin")
    await project(
        requests,
        routed(contact, "waste_recycling", "Waste and Recycling", DestinationKind.DEPARTMENT, contact.received_at),
        ContactReceivedEvent.new(contact, producer="intake"),
    )
    async with client_for(intake, requests) as http:
        [shown] = (await http.get(f"/open311/v2/requests/{contact.contact_id}.json")).json()
        assert (shown["status"], shown["extended_attributes"]["status"]) == ("open", "in_progress")
        assert shown["agency_responsible"] == "Waste and Recycling"
        assert shown["requested_datetime"] == contact.received_at.isoformat()


async def test_requests_can_be_listed_and_filtered(intake, requests):
    async with client_for(intake, requests) as http:
        for changes in ({}, {"attribute[fixmystreet_id]": "1002"}):
            assert (
                await http.post("/open311/v2/requests.json", content=form(report(**changes)), headers=FORM)
            ).status_code == 200
        closed, still_open = intake.published
        at = closed.received_at + timedelta(minutes=1)
        await project(
            requests,
            *(ContactReceivedEvent.new(contact, producer="intake") for contact in intake.published),
            routed(closed, "environment_agency", "Environment Agency", DestinationKind.PARTNER_AGENCY, at),
        )
        listed = (await http.get("/open311/v2/requests.json")).json()
        assert {r["service_request_id"] for r in listed} == {str(closed.contact_id), str(still_open.contact_id)}
        only_closed = (await http.get("/open311/v2/requests.json", params={"status": "closed"})).json()
        assert [r["service_request_id"] for r in only_closed] == [str(closed.contact_id)]
        by_id = await http.get("/open311/v2/requests.xml", params={"service_request_id": f"{still_open.contact_id},x"})
        assert [r.findtext("status") for r in ET.fromstring(by_id.content).findall("request")] == ["open"]
        assert (await http.get("/open311/v2/requests.json", params={"service_code": "noise"})).json() == []
        past = {"end_date": "2010-01-31T00:00:00Z"}
        assert (await http.get("/open311/v2/requests.json", params=past)).json() == []

        response = await http.get("/open311/v2/requests.json", params={"status": "fixed"})
        assert response.status_code == 400 and "status" in errors_of(response)[0]
        response = await http.get("/open311/v2/requests.xml", params={"start_date": "last tuesday"})
        assert response.status_code == 400 and "start_date" in errors_of(response)[0]
        response = await http.get(f"/open311/v2/requests/{uuid4()}.json")
        assert response.status_code == 404 and "service_request_id" in errors_of(response)[0]


def test_only_open311_contacts_are_projected():
    contact = a_contact(channel=Channel.WEB)
    assert writes_for_received(ContactReceivedEvent.new(contact, producer="intake")) == []
    event = routed(contact, "highways", "Highways and Streets", DestinationKind.DEPARTMENT, contact.received_at)
    assert writes_for_routed(event) == []


def test_a_safeguarding_referral_is_not_named_on_the_public_status():
    contact = a_contact(channel=Channel.OPEN311, channel_reference="fixmystreet:9", service_code="noise")
    event = routed(contact, "safeguarding", "Safeguarding front door", DestinationKind.DEPARTMENT, contact.received_at)
    event = event.model_copy(update={"payload": event.payload.model_copy(update={"safeguarding": True})})
    [write] = writes_for_routed(event)
    shown = json.dumps(write._doc, default=str)
    assert "afeguarding" not in shown and write._doc["$set"]["status"] == "open"
