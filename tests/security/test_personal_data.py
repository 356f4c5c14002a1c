"""Personal data: retention of raw details is configurable and enforced; none is stored raw in Mongo; none
reaches the logs of routing and complaints (intake's own logs: tests/integration/test_intake_service.py)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import httpx
from pymongo import AsyncMongoClient

from frontdoor_complaints.app import create_app as complaints_app
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_complaints.store import CASES
from frontdoor_intake.app import create_app as intake_app
from frontdoor_intake.channels.email import THREADS
from frontdoor_intake.channels.open311 import OPEN311_REQUESTS
from frontdoor_intake.publishing import REFERENCES
from frontdoor_intake.settings import IntakeSettings
from frontdoor_routing.app import create_app as routing_app
from frontdoor_routing.settings import RoutingSettings
from tests.waiting import count_is, eventually

OPEN311_KEY = "fixmystreet-key-0123456789"
EMAIL, PHONE, NAME = "ann.pii@example.org", "0113 496 0999", "Annabel Piiperson"
PERSONAL = (EMAIL, PHONE, "4960999", "496 0999", NAME, "Piiperson", "ann.pii")


async def everything_in(database) -> str:
    return " ".join(
        [str(doc) for name in await database.list_collection_names() async for doc in database[name].find()]
    )


async def test_retention_sweep_removes_raw_personal_details_past_the_configured_days(namespace, tmp_path):
    attachments = tmp_path / "attachments"
    attachments.mkdir()
    month_ago = time.time() - 31 * 86400
    for name, when in (("old-scan", month_ago), ("new-photo", time.time()), (".partial.tmp", month_ago)):
        (attachments / name).write_bytes(b"personal")
        os.utime(attachments / name, (when, when))
    settings = namespace.settings(
        IntakeSettings,
        open311_api_keys={"fms": OPEN311_KEY},
        attachment_dir=attachments,
        personal_data_retention_days=30,
    )
    database = AsyncMongoClient(namespace.infra.mongodb_url)[namespace.database]
    app = intake_app(settings)
    transport = httpx.ASGITransport(app=app)
    report = {
        "api_key": OPEN311_KEY,
        "service_code": "potholes",
        "lat": "53.8",
        "long": "-1.55",
        "address_string": "12 Acacia Avenue, Leeds LS6 2AB",
        "attribute[depth]": "over_100mm",
        "description": "Pothole outside my house",
        "email": EMAIL,
        "phone": PHONE,
        "first_name": "Annabel",
        "last_name": "Piiperson",
    }
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://i") as client:
        # the sweep runs in the service from its start
        first = await eventually(lambda: _last_sweep(app))
        assert first["attachments_deleted"] == 2
        assert sorted(p.name for p in attachments.iterdir()) == ["new-photo"]

        old, new = [
            (await client.post("/open311/v2/requests.json", data=report | {"attribute[fixmystreet_id]": n})).json()
            for n in ("1", "2")
        ]
        old_id, new_id = old[0]["service_request_id"], new[0]["service_request_id"]
        web = await client.post("/v1/contacts", json={"message": "Bins", "email": EMAIL, "phone": PHONE, "name": NAME})
        assert web.status_code == 202
        requests = database[OPEN311_REQUESTS]
        await eventually(lambda: count_is(requests, 2))
        # raw contact details are stored nowhere: only the pseudonymous customer_ref left intake
        stored = await everything_in(database)
        for personal in PERSONAL:
            assert personal not in stored, f"raw personal data in Mongo: {personal}"

        # age one of each kind of record past the retention period, as time would
        long_ago = datetime.now(UTC) - timedelta(days=31)
        await requests.update_one({"_id": old_id}, {"$set": {"requested_datetime": long_ago}})
        await database[THREADS].insert_many(
            [
                {"_id": "old@mail.example", "contact_id": old_id, "at": long_ago},
                {"_id": "new@mail.example", "at": datetime.now(UTC)},
            ]
        )
        await database[REFERENCES].insert_many(
            [
                {"_id": "email:old@mail.example", "status": "published", "at": long_ago},
                {"_id": "email:new@mail.example", "status": "published", "at": datetime.now(UTC)},
            ]
        )
        swept = await app.state.retention.sweep()
        assert (
            swept["open311_requests_redacted"],
            swept["email_threads_deleted"],
            swept["email_references_deleted"],
        ) == (1, 1, 1)

        aged = (await client.get(f"/open311/v2/requests/{old_id}.json")).json()[0]
        assert aged["status"] == "open", "the request's status stays answerable"
        assert not {"description", "lat", "long", "zipcode"} & aged.keys()
        fresh = (await client.get(f"/open311/v2/requests/{new_id}.json")).json()[0]
        assert "Acacia Avenue" in fresh["description"] and fresh["lat"] == 53.8
        assert [d["_id"] async for d in database[THREADS].find()] == ["new@mail.example"]
        emails = [d["_id"] async for d in database[REFERENCES].find({"_id": {"$regex": "^email:"}})]
        assert emails == ["email:new@mail.example"]
        assert (await app.state.retention.sweep())["open311_requests_redacted"] == 0, "nothing left to remove"
        assert sorted(p.name for p in attachments.iterdir()) == ["new-photo"]


async def _last_sweep(app):
    return app.state.retention.last


async def test_no_personal_data_in_the_logs_of_routing_and_complaints(namespace, tmp_path, capfd, caplog):
    """A complaint with the customer's email, phone and name flows through intake, routing and complaints;
    neither routing's nor complaints' logs show any of them, nor does any Mongo document."""
    database = AsyncMongoClient(namespace.infra.mongodb_url)[namespace.database]
    intake = intake_app(namespace.settings(IntakeSettings, attachment_dir=tmp_path))
    routing = routing_app(namespace.settings(RoutingSettings, routing_instance="pii"))
    complaints = complaints_app(namespace.settings(ComplaintsSettings, deadline_check_seconds=3600))
    transport = httpx.ASGITransport(app=intake)
    form = {
        "submission_id": "pii-1",
        "kind": "complaint",
        "message": "I want to complain: the officer at the housing office was rude to me and ignored my letters.",
        "email": EMAIL,
        "phone": PHONE,
        "name": NAME,
        "postcode": "LS6 2AB",
    }
    async with (
        intake.router.lifespan_context(intake),
        routing.router.lifespan_context(routing),
        complaints.router.lifespan_context(complaints),
        httpx.AsyncClient(transport=transport, base_url="http://i") as client,
    ):
        capfd.readouterr()
        caplog.clear()  # from here on, only what the pipeline logs about this contact
        accepted = await client.post("/v1/contacts", json=form)
        assert accepted.status_code == 202, accepted.text
        case_id = accepted.json()["contact_id"]
        await eventually(lambda: database[CASES].find_one({"_id": case_id}))
    logs = "".join(capfd.readouterr()) + caplog.text
    assert "contact routed" in logs and "case updated" in logs, "the check below reads routing's and complaints' logs"
    for personal in PERSONAL:
        assert personal not in logs, f"personal data in the logs: {personal}"
    stored = await everything_in(database)
    for personal in PERSONAL:
        assert personal not in stored, f"raw personal data in Mongo: {personal}"
