"""MongoDB operator injection through HTTP is impossible, in every service that reads or writes Mongo from
request data: complaints' /v1/cases (query filters, officers' actions) and intake (Open311 requests, the
reference store behind every channel). Routing's endpoints take no request data to Mongo (it has only
/v1/rules and /v1/rules/reload, fuzzed in tests/fuzz/test_openapi_fuzz.py).

Each hostile request is either refused (4xx) or its value is used as a literal: it matches nothing it
should not and changes nothing it should not. Afterwards no document in the service's database has a key
beginning with `$` or containing `.`, or anything the requests did not legitimately write.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from pymongo import AsyncMongoClient

from frontdoor_complaints.app import create_app as complaints_app
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_complaints.store import CASES
from frontdoor_intake.app import create_app as intake_app
from frontdoor_intake.channels.open311 import OPEN311_REQUESTS
from frontdoor_intake.publishing import REFERENCES
from frontdoor_intake.settings import IntakeSettings
from frontdoor_shared.contracts import ContactKind
from tests.factories import a_routed_event
from tests.kafka_tools import produce
from tests.waiting import count_is, eventually

OPERATORS: list[Any] = [
    {"$gt": ""},
    {"$ne": None},
    {"$where": "sleep(100) || true"},
    {"$regex": ".*"},
    {"a.b": 1},
    ["$gt", ""],
]
OPERATOR_STRINGS = ['{"$gt": ""}', "$gt", "$where", "a.b", "$ne", "payload.$", "."]


async def bad_keys(database) -> list[str]:
    """Keys beginning with `$` or containing `.`, anywhere in any document of the database."""
    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key.startswith("$") or "." in key:
                    found.append(f"{where}.{key}")
                walk(inner, f"{where}.{key}")
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, f"{where}[{index}]")

    for name in await database.list_collection_names():
        async for doc in database[name].find():
            walk(doc, f"{name}/{doc.get('_id')}")
    return found


async def test_complaints_case_filters_and_officer_actions_cannot_inject_operators(namespace):
    settings = namespace.settings(ComplaintsSettings, deadline_check_seconds=3600)
    bootstrap = namespace.infra.kafka_bootstrap_servers
    highways = a_routed_event(ContactKind.COMPLAINT, "highways")
    housing = a_routed_event(ContactKind.COMPLAINT, "housing")
    case_id = str(highways.payload.contact_id)
    database = AsyncMongoClient(namespace.infra.mongodb_url)[namespace.database]
    app = complaints_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://c") as client:
        await produce(
            bootstrap,
            settings.topics.contacts_routed,
            [(str(e.payload.contact_id).encode(), e.to_bytes()) for e in (highways, housing)],
        )
        await eventually(lambda: database[CASES].count_documents({}))
        await eventually(lambda: count_is(database[CASES], 2))

        async def listed(query: str) -> httpx.Response:
            return await client.get(f"/v1/cases?{query}")

        assert len((await listed("")).json()) == 2
        assert [c["department"] for c in (await listed("department=highways")).json()] == ["highways"]
        # operators as values: refused by the parameter's own type
        for name in ("department", "kind", "procedure", "stage", "open", "limit", "format"):
            for hostile in OPERATOR_STRINGS:
                answer = await listed(urlencode({name: hostile}))
                assert answer.status_code == 422, (name, hostile, answer.status_code, answer.text[:200])
        # operators as parameter names (the classic `field[$ne]=x`): not parameters at all, so ignored
        for query in ("department[$ne]=highways", "department.$ne=highways", "$where=1", "kind[$in][]=x"):
            answer = await listed(query)
            assert answer.status_code == 200 and len(answer.json()) == 2, (query, answer.text[:200])

        # path: not a UUID, refused ("." alone is the list itself, as for any URL)
        for hostile in [s for s in OPERATOR_STRINGS if s != "."]:
            answer = await client.get(f"/v1/cases/{quote(hostile, safe='')}")
            assert answer.status_code in (404, 422), (hostile, answer.status_code)
            assert case_id not in answer.text

        # JSON bodies: an operator where a value goes, or an operator as a key, is refused and changes nothing
        before = await database[CASES].find_one({"_id": case_id})
        good = {"action": "acknowledged", "officer_ref": "o1"}
        for field in ("action", "officer_ref", "outcome", "reason", "referral", "department", "agreed_response_by"):
            for hostile in OPERATORS:
                answer = await client.post(f"/v1/cases/{case_id}/actions", json=good | {field: hostile})
                assert answer.status_code == 422, (field, hostile, answer.status_code, answer.text[:200])
        for key in ("$set", "$where", "status", "history.0.action", "version"):
            answer = await client.post(f"/v1/cases/{case_id}/actions", json=good | {key: {"status": "closed"}})
            assert answer.status_code == 422, (key, answer.status_code)
        answer = await client.post(f"/v1/cases/{case_id}/actions", json={"$set": {"status": "closed"}})
        assert answer.status_code == 422
        assert await database[CASES].find_one({"_id": case_id}) == before, "a refused request changed the case"

        # operator-looking strings are kept as the literal text an officer typed
        literal = good | {"officer_ref": "$where", "reason": '{"$gt": ""}', "learning_points": ["$set", "a.b"]}
        assert (await client.post(f"/v1/cases/{case_id}/actions", json=literal)).status_code == 202
        stored = await eventually(lambda: _acknowledged(database[CASES], case_id))
        step = stored["history"][-1]
        assert (step["officer"], step["reason"], step["learning_points"]) == ("$where", '{"$gt": ""}', ["$set", "a.b"])
        other = await database[CASES].find_one({"_id": str(housing.payload.contact_id)})
        assert other["status"] == "received", "another case was changed"

    assert await bad_keys(database) == []


async def _acknowledged(collection, case_id: str) -> dict | None:
    doc = await collection.find_one({"_id": case_id})
    return doc if doc and doc["status"] == "acknowledged" else None


OPEN311_KEY = "open311-injection-key-0123456789"


async def test_intake_open311_lookups_and_channel_bodies_cannot_inject_operators(namespace, tmp_path):
    settings = namespace.settings(
        IntakeSettings, open311_api_keys={"fms": OPEN311_KEY}, attachment_dir=tmp_path / "attachments"
    )
    database = AsyncMongoClient(namespace.infra.mongodb_url)[namespace.database]
    app = intake_app(settings)
    transport = httpx.ASGITransport(app=app)
    form = {
        "api_key": OPEN311_KEY,
        "service_code": "potholes",
        "lat": "53.8",
        "long": "-1.55",
        "attribute[depth]": "over_100mm",
        "description": "Deep pothole",
    }
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://i") as client:
        first = await client.post("/open311/v2/requests.json", data=form | {"attribute[fixmystreet_id]": "1"})
        second = await client.post("/open311/v2/requests.json", data=form | {"attribute[fixmystreet_id]": "2"})
        assert first.status_code == second.status_code == 200, first.text
        ids = [first.json()[0]["service_request_id"], second.json()[0]["service_request_id"]]
        await eventually(lambda: count_is(database[OPEN311_REQUESTS], 2))

        async def requests(query: str) -> httpx.Response:
            return await client.get(f"/open311/v2/requests.json?{query}")

        assert len((await requests("")).json()) == 2
        assert len((await requests(urlencode({"service_request_id": ids[0]}))).json()) == 1
        # operators as values are literals: they match no request
        for name in ("service_request_id", "service_code"):
            for hostile in [*OPERATOR_STRINGS, json.dumps({"$ne": "x"}), ".*", "$gt,$ne", '["$gt"]']:
                answer = await requests(urlencode({name: hostile}))
                assert answer.status_code == 200 and answer.json() == [], (name, hostile, answer.text[:200])
        for name in ("status", "start_date", "end_date"):
            for hostile in OPERATOR_STRINGS:
                answer = await requests(urlencode({name: hostile}))
                assert answer.status_code == 400, (name, hostile, answer.status_code)
        # operators as parameter names are ignored, not applied
        for query in ("service_request_id[$ne]=x", "service_code[$ne]=potholes", "$where=1", "status[$in]=closed"):
            answer = await requests(query)
            assert answer.status_code == 200 and len(answer.json()) == 2, (query, answer.text[:200])
        for hostile in OPERATOR_STRINGS:
            answer = await client.get(f"/open311/v2/requests/{quote(hostile, safe='')}.json")
            assert answer.status_code == 404, (hostile, answer.status_code)
        updates = await client.get("/open311/v2/servicerequestupdates.json?updated_datetime[$gt]=")
        assert updates.status_code == 200

        # form fields named as operators or paths are refused or ignored; they reach no query or document
        for name, value in (("service_code[$ne]", "x"), ("$where", "1"), ("attribute[$gt]", "1"), ("a.b", "1")):
            answer = await client.post(
                "/open311/v2/requests.json", data=form | {name: value, "attribute[fixmystreet_id]": "3"}
            )
            assert answer.status_code in (200, 400), (name, answer.status_code, answer.text[:200])

        # the web form and the reference store: an operator where a value goes is refused
        for field in ("submission_id", "message", "email", "phone", "postcode", "ward", "uprn", "kind"):
            for hostile in OPERATORS:
                answer = await client.post("/v1/contacts", json={"message": "Bins", field: hostile})
                assert answer.status_code == 422, (field, hostile, answer.status_code, answer.text[:200])
        answer = await client.post("/v1/contacts", json={"message": "Bins", "$set": {"status": "published"}})
        assert answer.status_code == 422
        # an operator-looking submission id is a literal reference: the same one again is a duplicate, no more
        literal = [await client.post("/v1/contacts", json={"message": "Bins", "submission_id": "$gt"}) for _ in "ab"]
        assert [a.json()["status"] for a in literal] == ["accepted", "duplicate"]
        dotted = await client.post("/v1/contacts", json={"message": "Bins", "submission_id": "a.b"})
        assert dotted.json()["status"] == "accepted"
        batch = await client.post("/v1/contacts/batch", json=[{"message": "x", "submission_id": {"$gt": ""}}])
        assert batch.json()[0]["status"] == "invalid"

    references = sorted([doc["_id"] async for doc in database[REFERENCES].find({"_id": {"$regex": "^web:"}})])
    assert references == ["web:$gt", "web:a.b"]
    assert await bad_keys(database) == []
