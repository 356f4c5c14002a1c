"""The complaints service against the real broker and Mongo server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from pymongo import AsyncMongoClient

from frontdoor_complaints.app import create_app
from frontdoor_complaints.domain.working_days import WorkingCalendar
from frontdoor_complaints.handlers import apply_event
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_complaints.store import CASES, CaseStore
from frontdoor_shared.contracts import ComplaintEvent, ComplaintEventPayload, ContactKind
from frontdoor_shared.topics import Topics
from tests.factories import a_routed_event
from tests.kafka_tools import header, produce, read_topics
from tests.waiting import eventually


async def test_cases_open_officers_act_deadlines_fire_once_and_a_rebuild_matches(namespace):
    settings = namespace.settings(ComplaintsSettings, deadline_check_seconds=3600)
    topics = settings.topics
    received = datetime.now(UTC) - timedelta(days=30)  # old enough for the acknowledgement deadline to be missed
    corporate = a_routed_event(ContactKind.COMPLAINT, "complaints_team", received_at=received, category="delay")
    statutory = a_routed_event(ContactKind.COMPLAINT, "adult_social_care_complaints", received_at=received)
    compliment = a_routed_event(ContactKind.COMPLIMENT, "complaints_team", received_at=received)
    request = a_routed_event()
    bootstrap = namespace.infra.kafka_bootstrap_servers
    app = create_app(settings)
    cases = AsyncMongoClient(namespace.infra.mongodb_url)[namespace.database][CASES]
    corporate_id = str(corporate.payload.contact_id)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://c") as client:
        events = (corporate, corporate, statutory, compliment, request)
        await produce(
            bootstrap, topics.contacts_routed, [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in events]
        )
        await eventually(lambda: _count(cases, 3))

        listed = (await client.get("/v1/cases", params={"kind": "complaint"})).json()
        assert sorted(c["procedure"] for c in listed) == ["adult_social_care", "corporate"]

        # an officer acknowledges; responding before that was refused and changed nothing
        refused = await client.post(
            f"/v1/cases/{corporate_id}/actions", json={"action": "escalated", "officer_ref": "o1"}
        )
        assert refused.status_code == 409 and "escalated after its response" in refused.json()["detail"]
        bad = await client.post(f"/v1/cases/{corporate_id}/actions", json={"action": "acknowledged"})
        assert bad.status_code == 422 and "officer_ref" in bad.text
        ok = await client.post(
            f"/v1/cases/{corporate_id}/actions", json={"action": "acknowledged", "officer_ref": "o1"}
        )
        assert ok.status_code == 202 and ok.json()["status"] == "acknowledged"
        await eventually(lambda: _status(cases, corporate_id, "acknowledged"))

        # a step sent straight to the topic that the case does not allow ends in the dead-letter topic
        wrong = ComplaintEvent.new(
            ComplaintEventPayload(case_id=corporate.payload.contact_id, action="closed", at=datetime.now(UTC)),
            producer="officers-system",
        )
        await produce(bootstrap, topics.complaints_events, [(corporate_id.encode(), wrong.to_bytes()), (b"x", b"{}")])
        dead = await read_topics(bootstrap, [Topics.dead_letters(topics.complaints_events)], expect=2, idle_seconds=1)
        reasons = sorted(header(r, "x-dead-letter-reason") for r in dead)
        assert "a case is closed after its response" in reasons[0] and "not a valid ComplaintEvent" in reasons[1]
        assert await _status(cases, corporate_id, "acknowledged")

        # deadlines: the statutory case's acknowledgement is long overdue; due and missed are each published once
        check = app.state.check_deadlines
        assert await check() == 2
        await eventually(lambda: _alerts(cases, str(statutory.payload.contact_id), 2))
        assert await check() == 0, "the same deadline events are never published twice"
        overdue = (await client.get("/v1/cases/overdue")).json()
        assert [c["case_id"] for c in overdue] == [str(statutory.payload.contact_id)]

        summary = (await client.get("/v1/complaints/summary")).json()
        assert summary["compliments"] == 1
        [taken] = summary["working_days_taken"]
        assert (taken["procedure"], taken["measure"], taken["cases"]) == ("corporate", "to_acknowledge", 1)
        assert taken["mean_working_days"] >= 19, "received 30 days ago, acknowledged today"
        assert {"value": "delay", "cases": 1} in summary["by_category"]
        assert {
            "name": "acknowledge",
            "procedure": "corporate",
            "done": 1,
            "in_time": 0,
            "share_in_time": 0.0,
        } in summary["within_target"]
        csv = (await client.get("/v1/cases", params={"format": "csv"})).text
        assert csv.splitlines()[0].startswith("case_id,kind,procedure") and len(csv.splitlines()) == 4
        history = (await client.get(f"/v1/cases/{corporate_id}")).json()
        assert [step["action"] for step in history["history"]] == ["logged", "acknowledged"]
        # a service request (no case) reclassified as a complaint opens one; without a procedure it is refused
        request_id = str(request.payload.contact_id)
        missing = await client.post(
            f"/v1/cases/{request_id}/actions", json={"action": "reclassified_as_complaint", "officer_ref": "o3"}
        )
        assert missing.status_code == 422
        opened = await client.post(
            f"/v1/cases/{request_id}/actions",
            json={
                "action": "reclassified_as_complaint",
                "officer_ref": "o3",
                "procedure": "corporate",
                "department": "highways",
            },
        )
        assert opened.status_code == 202, opened.text
        await eventually(lambda: _status(cases, request_id, "received"))
        live = {doc["_id"]: doc async for doc in cases.find({})}

    # rebuilt from the topic into a fresh database, the cases equal the live ones
    stream = await read_topics(bootstrap, [topics.complaints_events], idle_seconds=1)
    fresh = AsyncMongoClient(namespace.infra.mongodb_url)[namespace.database + "_rebuilt"][CASES]
    store = CaseStore(fresh, WorkingCalendar())
    from zoneinfo import ZoneInfo

    for record in sorted(stream, key=lambda r: (r.timestamp, r.partition, r.offset)):
        try:
            event = ComplaintEvent.model_validate_json(record.value)
        except ValueError:
            continue
        await apply_event(event, store, ZoneInfo("Europe/London"))
        await apply_event(event, store, ZoneInfo("Europe/London"))  # delivered twice: changes nothing
    rebuilt = {doc["_id"]: doc async for doc in fresh.find({})}
    assert rebuilt == live


async def _count(cases, n):
    return await cases.count_documents({}) >= n


async def _status(cases, case_id, status):
    doc = await cases.find_one({"_id": case_id})
    return doc is not None and doc["status"] == status


async def _alerts(cases, case_id, n):
    doc = await cases.find_one({"_id": case_id})
    return doc is not None and len(doc.get("alerts", [])) >= n
