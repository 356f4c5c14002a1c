"""The intake service in-process against the real broker and Mongo server: every assisted channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from pymongo import AsyncMongoClient

from frontdoor_intake.app import create_app
from frontdoor_intake.publishing import REFERENCES
from frontdoor_intake.settings import IntakeSettings
from frontdoor_shared.contracts import CallEvent, ContactReceivedEvent, HubVisitEvent, SurveyResponseEvent
from tests.kafka_tools import header, read_topics

KEY = {"X-Api-Key": "telephony-key-0123456789"}


async def test_channels_publish_once_answer_each_item_and_refuse_bad_input(namespace, capfd, caplog):
    settings = namespace.settings(
        IntakeSettings, integration_api_keys={"telephony": KEY["X-Api-Key"]}, max_body_bytes=20_000
    )
    topics = settings.topics
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://i") as client:
        form = {"submission_id": "w-1", "message": "Bin not emptied", "email": "ann@example.org", "postcode": "LS6 2AB"}
        flood = await client.post(
            "/v1/contacts/batch",
            content=b"[" + b'{"message": "x"},' * 2000 + b"{}]",
            headers={"content-type": "application/json"},
        )
        assert flood.status_code == 413 and "larger than 20000 bytes" in flood.text
        first, again = [(await client.post("/v1/contacts", json=form)).json() for _ in range(2)]
        assert first["status"] == "accepted" and again["status"] == "duplicate"
        assert first["contact_id"] == again["contact_id"]

        batch = (await client.post("/v1/contacts/batch", json=[{"message": "one"}, {"message": ""}, form])).json()
        assert [item["status"] for item in batch] == ["accepted", "invalid", "duplicate"]
        assert batch[1]["errors"][0]["loc"] == ["message"]

        call = {
            "call_id": "c-77",
            "event": "ended",
            "at": "2010-01-05T10:03:00+00:00",
            "queue": "waste",
            "caller_number": "0113 496 0000",
            "wait_seconds": 14,
            "talk_seconds": 200,
            "hold_seconds": 0,
            "wrap_up_seconds": 30,
            "resolved_first_time": True,
            "summary": "Missed bin, Headingley, snow",
        }
        assert (await client.post("/v1/telephony/calls", json=call)).status_code == 401
        assert (await client.post("/v1/telephony/calls", json=call, headers={"X-Api-Key": "wrong"})).status_code == 401
        ended = await client.post("/v1/telephony/calls", json=call, headers=KEY)
        assert ended.status_code == 200 and ended.json()["status"] == "accepted"
        abandoned = call | {"call_id": "c-78", "event": "abandoned", "summary": None}
        assert (await client.post("/v1/telephony/calls", json=abandoned, headers=KEY)).json()["status"] == "recorded"
        naive = call | {"at": "2010-01-05T10:03:00"}
        assert (await client.post("/v1/telephony/calls", json=naive, headers=KEY)).status_code == 422

        visit = {
            "visit_id": "v-1",
            "event": "seen",
            "at": "2010-01-05T11:00:00+00:00",
            "hub": "Compton Centre",
            "service": "council tax",
            "notes": "Wants to set up a payment plan",
            "resolved_first_time": True,
        }
        assert (await client.post("/v1/hubs/visits", json=visit, headers=KEY)).json()["status"] == "accepted"
        survey = {
            "response_id": "S-1",
            "method": "mystery_shopping",
            "at": "2010-01-08T10:00:00Z",
            "channel": "face_to_face",
            "score": 4,
            "resolved_first_time": True,
        }
        assert (await client.post("/v1/surveys/responses", json=survey, headers=KEY)).status_code == 202
        assert (await client.post("/v1/surveys/responses", json=survey | {"score": 9}, headers=KEY)).status_code == 422

        casework = {
            "enquiry_id": "cw-9",
            "member_id": "m-1",
            "member_name": "Cllr A. Member",
            "ward": "Armley",
            "text": "Constituent's street not gritted again",
            "constituent_email": "bob@example.org",
        }
        assert (await client.post("/v1/casework", json=casework, headers=KEY)).json()["status"] == "accepted"
        library = {
            "reference": "l-5",
            "library": "Central",
            "what": "digital_help",
            "detail": "universal_credit_help",
            "text": "Helped customer set up a Universal Credit account",
        }
        assert (await client.post("/v1/libraries/contacts", json=library, headers=KEY)).json()["status"] == "accepted"

        csv_body = (
            "letter_id,received_on,subject,text,postcode\n"
            "L-1,2010-01-06,Bins,Bins not collected since Christmas,LS6 2AB\n"
            "L-2,not-a-date,Bins,Still not collected,LS6 2AB\n"
        )
        letters = await client.post("/v1/letters/import", content=csv_body, headers=KEY | {"content-type": "text/csv"})
        assert letters.status_code == 207
        assert [(row["row"], row["status"]) for row in letters.json()] == [(1, "accepted"), (2, "invalid")]
        assert letters.json()[1]["errors"][0]["loc"] == ["received_on"]
        jsonl = json.dumps({"letter_id": "L-3", "received_on": "2010-01-07", "text": "Thank you"}) + "\n{oops\n"
        bad = await client.post(
            "/v1/letters/import", content=jsonl, headers=KEY | {"content-type": "application/x-ndjson"}
        )
        assert bad.status_code == 400 and "line 2 is not JSON" in bad.json()["detail"]
        assert (
            await client.post("/v1/letters/import", content="x", headers=KEY | {"content-type": "text/plain"})
        ).status_code == 415
        huge = "letter_id,received_on,text\n" + "L-9,2010-01-07," + "x" * 30_000 + "\n"
        assert (
            await client.post("/v1/letters/import", content=huge, headers=KEY | {"content-type": "text/csv"})
        ).status_code == 413

    bootstrap = namespace.infra.kafka_bootstrap_servers
    received = [
        ContactReceivedEvent.model_validate_json(r.value).payload
        for r in await read_topics(bootstrap, [topics.contacts_received], expect=6, idle_seconds=1)
    ]
    by_channel = sorted(c.channel.value for c in received)
    assert by_channel == ["councillor_casework", "face_to_face", "letter", "library", "phone", "web", "web"]
    casework_contact = next(c for c in received if c.channel.value == "councillor_casework")
    assert casework_contact.on_behalf_of.ward == "Armley" and casework_contact.on_behalf_of.constituent_ref.startswith(
        "cust_"
    )
    assert next(c for c in received if c.channel.value == "library").category == "library_digital_help"
    serialised = " ".join(c.model_dump_json() for c in received)
    assert "ann@example.org" not in serialised and "496 0000" not in serialised and "bob@" not in serialised

    calls = [
        CallEvent.model_validate_json(r.value).payload
        for r in await read_topics(bootstrap, [topics.telephony_calls], expect=2, idle_seconds=1)
    ]
    assert sorted(c.event for c in calls) == ["abandoned", "ended"]
    assert next(c for c in calls if c.event == "ended").contact_id is not None
    visits = await read_topics(bootstrap, [topics.hub_visits], expect=1, idle_seconds=1)
    logs = "".join(capfd.readouterr()) + caplog.text
    assert "contact received" in logs, "the check below reads the service's real log output"
    for personal in ("ann@example.org", "bob@example.org", "496 0000", "0113"):
        assert personal not in logs, f"personal data in the logs: {personal}"
    assert HubVisitEvent.model_validate_json(visits[0].value).payload.hub == "Compton Centre"
    surveys = await read_topics(bootstrap, [topics.survey_responses], expect=1, idle_seconds=1)
    assert [SurveyResponseEvent.model_validate_json(r.value).payload.score for r in surveys] == [4]


async def test_a_retry_after_an_unconfirmed_publish_sends_the_first_copy_again(namespace):
    """Intake recorded the reference, then the broker's acknowledgement never came: the customer posts again.

    The retry must be the same event, id, contact id and time received, so routing's first-delivery check
    and every projection see one contact.
    """
    settings = namespace.settings(IntakeSettings)
    first_received = "2010-01-05T09:00:00.123456+00:00"
    mongo = AsyncMongoClient(namespace.infra.mongodb_url)
    try:
        await mongo[namespace.database][REFERENCES].insert_one(
            {
                "_id": "web:w-retry",
                "contact_id": "6a1b0c9e-8d8f-4b9a-9f00-0c8d0e1f2a3b",
                "event_id": "0b9e6c1a-2f4d-4e8a-b7c6-5d4e3f2a1b0c",
                "status": "pending",
                "received_at": first_received,
                "at": datetime(2010, 1, 5, 9, 0, tzinfo=UTC),
            }
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://i") as client,
        ):
            again = await client.post("/v1/contacts", json={"submission_id": "w-retry", "message": "Bin not emptied"})
            assert again.json()["status"] == "accepted"
            assert again.json()["contact_id"] == "6a1b0c9e-8d8f-4b9a-9f00-0c8d0e1f2a3b"
            repeat = await client.post("/v1/contacts", json={"submission_id": "w-retry", "message": "Bin not emptied"})
            assert repeat.json()["status"] == "duplicate"
        stored = await mongo[namespace.database][REFERENCES].find_one({"_id": "web:w-retry"})
        assert stored["status"] == "published"
    finally:
        await mongo.close()
    [record] = await read_topics(
        namespace.infra.kafka_bootstrap_servers, [settings.topics.contacts_received], expect=1, idle_seconds=1
    )
    event = ContactReceivedEvent.model_validate_json(record.value)
    assert str(event.event_id) == "0b9e6c1a-2f4d-4e8a-b7c6-5d4e3f2a1b0c"
    assert event.payload.received_at == datetime.fromisoformat(first_received)
    assert header(record, "correlation_id") == str(event.correlation_id)
