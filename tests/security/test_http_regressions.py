"""Server errors found by fuzzing the HTTP apps (tests/fuzz/test_openapi_fuzz.py), each now a clear 4xx."""

from __future__ import annotations

import uuid

import httpx

from frontdoor_complaints.app import create_app as complaints_app
from frontdoor_complaints.settings import ComplaintsSettings
from frontdoor_intake.app import create_app as intake_app
from frontdoor_intake.settings import IntakeSettings


async def test_web_form_values_the_contract_refuses_are_a_422_naming_the_field(namespace, tmp_path):
    """Found by schemathesis: a `uprn` that is not digits, or a blank `ward`, passed the form and failed the
    contract inside the endpoint, which answered 500."""
    app = intake_app(namespace.settings(IntakeSettings, attachment_dir=tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://i") as client:
        for field, value in (("uprn", "Â"), ("uprn", "12ab"), ("ward", "   ")):
            answer = await client.post("/v1/contacts", json={"message": "Bins", field: value})
            assert answer.status_code == 422, (field, value, answer.status_code, answer.text)
            assert answer.json()["detail"][0]["loc"][-1] == field
        ok = await client.post("/v1/contacts", json={"message": "Bins", "uprn": "100023336956", "ward": "Armley"})
        assert ok.status_code == 202, ok.text


async def test_officer_action_values_the_contract_refuses_are_a_422_naming_the_field(namespace):
    """Found by schemathesis: an empty `referral` or a blank `officer_ref` passed the action's model and failed
    the contract inside the endpoint, which answered 500."""
    app = complaints_app(namespace.settings(ComplaintsSettings, deadline_check_seconds=3600))
    transport = httpx.ASGITransport(app=app)
    # the broker is not started: nothing here is published, and the case store is the real Mongo server
    async with httpx.AsyncClient(transport=transport, base_url="http://c") as client:
        url = f"/v1/cases/{uuid.uuid4()}/actions"
        for field, value in (("referral", ""), ("officer_ref", "   ")):
            answer = await client.post(url, json={"action": "withdrawn", "officer_ref": "o1", field: value})
            assert answer.status_code == 422, (field, value, answer.status_code, answer.text)
            assert answer.json()["detail"][0]["loc"][-1] == field
        missing = await client.post(url, json={"action": "withdrawn", "officer_ref": "o1", "referral": "ombudsman"})
        assert missing.status_code == 404, missing.text
    await app.state.mongo.close()
