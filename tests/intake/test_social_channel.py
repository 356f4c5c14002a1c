"""The social media webhooks: Facebook (Page feed and Messenger) and X (Account Activity), in their own shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from frontdoor_intake.channels.social import social_router
from frontdoor_intake.publishing import Accepted, IntakeUnavailable
from frontdoor_intake.settings import IntakeSettings
from frontdoor_shared.contracts import Channel, ContactFollowUp, ContactKind, ContactReceived

APP_SECRET = "facebook-app-secret"
VERIFY_TOKEN = "facebook-verify-token"
CONSUMER_SECRET = "x-consumer-secret"
PAGE_ID = "104523412345678"
COUNCIL_X_ID = "2244994945"
KEY = b"k" * 20


class FakeIntake:
    """Publishes once per channel reference, as the real intake does."""

    def __init__(self) -> None:
        self.published: list[ContactReceived] = []
        self.seen: dict[str, Accepted] = {}
        self.unavailable = False

    async def accept(self, contact: ContactReceived) -> Accepted:
        if self.unavailable:
            raise IntakeUnavailable("the message broker is unavailable")
        if contact.channel_reference in self.seen:
            first = self.seen[contact.channel_reference]
            return Accepted(first.contact_id, first.event_id, duplicate=True)
        self.published.append(contact)
        self.seen[contact.channel_reference] = Accepted(contact.contact_id, uuid4())
        return self.seen[contact.channel_reference]

    async def accept_many(self, contacts: list[ContactReceived]) -> list[Accepted | IntakeUnavailable]:
        raise NotImplementedError

    async def follow_up(self, message: ContactFollowUp) -> Accepted:
        raise NotImplementedError


def settings(**overrides) -> IntakeSettings:
    values = {
        "customer_ref_key": "x" * 20,
        "facebook_app_secret": APP_SECRET,
        "facebook_verify_token": VERIFY_TOKEN,
        "x_consumer_secret": CONSUMER_SECRET,
        "webhook_max_age_seconds": 300,
        "max_body_bytes": 5_000,
    }
    return IntakeSettings(**(values | overrides))


@pytest.fixture
def intake() -> FakeIntake:
    return FakeIntake()


@pytest.fixture
async def client(intake: FakeIntake):
    async with client_for(intake, settings()) as client:
        yield client


def client_for(intake: FakeIntake, config: IntakeSettings) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(social_router(intake, config, KEY))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


def now_ms(seconds_ago: float = 0) -> int:
    return int((time.time() - seconds_ago) * 1000)


def facebook_signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def x_signed(body: bytes, secret: str = CONSUMER_SECRET) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"x-twitter-webhooks-signature": f"sha256={digest}", "Content-Type": "application/json"}


def feed_delivery(entry_time: int, *changes: dict) -> bytes:
    return json.dumps(
        {"object": "page", "entry": [{"id": PAGE_ID, "time": entry_time, "changes": list(changes)}]}
    ).encode()


def feed_post(post_id: str, message: str, from_id: str = "6150237712345", **extra) -> dict:
    return {
        "field": "feed",
        "value": {
            "from": {"id": from_id, "name": "Ann Example"},
            "item": "status",
            "post_id": f"{PAGE_ID}_{post_id}",
            "verb": "add",
            "published": 1,
            "created_time": int(time.time()),
            "message": message,
        }
        | extra,
    }


def messenger_delivery(*events: dict) -> bytes:
    return json.dumps(
        {"object": "page", "entry": [{"id": PAGE_ID, "time": now_ms(), "messaging": list(events)}]}
    ).encode()


def messenger_message(mid: str, text: str, sender: str = "7283947562918374", at: int | None = None, **message) -> dict:
    return {
        "sender": {"id": sender},
        "recipient": {"id": PAGE_ID},
        "timestamp": at or now_ms(),
        "message": {"mid": mid, "text": text} | message,
    }


def x_mention(tweet_id: str, text: str, user_id: str = "783214", at: int | None = None) -> dict:
    return {
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "id": int(tweet_id),
        "id_str": tweet_id,
        "text": text[:140],
        "truncated": len(text) > 140,
        "extended_tweet": {"full_text": text, "display_text_range": [0, len(text)]},
        "user": {"id": int(user_id), "id_str": user_id, "name": "Ann Example", "screen_name": "ann_example"},
        "entities": {"user_mentions": [{"screen_name": "ExampleCouncil", "id_str": COUNCIL_X_ID}]},
        "timestamp_ms": str(at or now_ms()),
    }


def x_dm(event_id: str, text: str, sender_id: str = "783214", at: int | None = None) -> dict:
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": str(at or now_ms()),
        "message_create": {
            "target": {"recipient_id": COUNCIL_X_ID if sender_id != COUNCIL_X_ID else "783214"},
            "sender_id": sender_id,
            "message_data": {
                "text": text,
                "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
            },
        },
    }


def x_delivery(tweets: list[dict] = (), dms: list[dict] = ()) -> bytes:
    body: dict = {"for_user_id": COUNCIL_X_ID}
    if tweets:
        body["tweet_create_events"] = list(tweets)
    if dms:
        body["direct_message_events"] = list(dms)
        body["users"] = {"783214": {"id": "783214", "name": "Ann Example", "screen_name": "ann_example"}}
    return json.dumps(body).encode()


def assert_pseudonymous(contact: ContactReceived, *personal: str) -> None:
    assert contact.customer_ref and contact.customer_ref.startswith("cust_")
    serialised = contact.model_dump_json()
    for value in ("Ann Example", "ann_example", *personal):
        assert value not in serialised


# --- Verification


async def test_facebook_verification_echoes_the_challenge(client: httpx.AsyncClient):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await client.get("/webhooks/facebook", params=query)
    assert response.status_code == 200 and response.text == "1158201444"

    wrong = await client.get("/webhooks/facebook", params=query | {"hub.verify_token": "guess"})
    assert wrong.status_code == 403 and "verify token" in wrong.json()["detail"]
    assert (await client.get("/webhooks/facebook", params={"hub.mode": "subscribe"})).status_code == 400


async def test_x_crc_is_answered_with_the_signed_token(client: httpx.AsyncClient):
    response = await client.get("/webhooks/x", params={"crc_token": "challenge-123"})
    expected = base64.b64encode(hmac.new(CONSUMER_SECRET.encode(), b"challenge-123", hashlib.sha256).digest()).decode()
    assert response.status_code == 200 and response.json() == {"response_token": f"sha256={expected}"}
    assert (await client.get("/webhooks/x")).status_code == 400


async def test_unconfigured_webhooks_refuse_everything(intake: FakeIntake):
    config = settings(facebook_app_secret=None, facebook_verify_token=None, x_consumer_secret=None)
    async with client_for(intake, config) as client:
        body = feed_delivery(int(time.time()), feed_post("1", "Bins not collected"))
        responses = [
            await client.post("/webhooks/facebook", content=body, headers=facebook_signed(body)),
            await client.get("/webhooks/facebook", params={"hub.mode": "subscribe", "hub.challenge": "1"}),
            await client.post("/webhooks/x", content=b"{}", headers=x_signed(b"{}")),
            await client.get("/webhooks/x", params={"crc_token": "t"}),
        ]
    assert [r.status_code for r in responses] == [503, 503, 503, 503]
    assert "not configured" in responses[0].json()["detail"]
    assert intake.published == []


# --- Real-shaped deliveries


async def test_a_facebook_feed_post_and_comment_become_public_contacts(client: httpx.AsyncClient, intake: FakeIntake):
    comment = {
        "field": "feed",
        "value": {
            "from": {"id": "6150237799999", "name": "Bob Example"},
            "post": {"status_type": "added_photos", "is_published": True, "id": f"{PAGE_ID}_555"},
            "message": "Same on Elm Street, third week running",
            "post_id": f"{PAGE_ID}_555",
            "comment_id": "555_9876",
            "parent_id": f"{PAGE_ID}_555",
            "created_time": int(time.time()),
            "item": "comment",
            "verb": "add",
        },
    }
    body = feed_delivery(int(time.time()), feed_post("777", "Bins not collected on Oak Road"), comment)
    response = await client.post("/webhooks/facebook", content=body, headers=facebook_signed(body))

    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0, "ignored": []}
    post, reply = intake.published
    assert post.channel is Channel.SOCIAL_MEDIA and post.kind is ContactKind.UNCLASSIFIED and post.subject is None
    assert post.channel_reference == f"facebook:post:{PAGE_ID}_777"
    assert post.text == "Bins not collected on Oak Road"
    assert reply.channel_reference == "facebook:post:555_9876"
    assert post.customer_ref != reply.customer_ref
    assert_pseudonymous(post, "6150237712345")
    assert_pseudonymous(reply, "6150237799999", "Bob Example")


async def test_a_messenger_message_becomes_a_private_contact(client: httpx.AsyncClient, intake: FakeIntake):
    at = now_ms()
    body = messenger_delivery(messenger_message("m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM", "My council tax bill is wrong", at=at))
    response = await client.post("/webhooks/facebook", content=body, headers=facebook_signed(body))

    assert response.status_code == 200 and response.json()["accepted"] == 1
    (contact,) = intake.published
    assert contact.channel_reference == "facebook:message:m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"
    assert contact.text == "My council tax bill is wrong"
    assert int(contact.received_at.timestamp() * 1000) == at
    assert_pseudonymous(contact, "7283947562918374")


async def test_an_x_mention_becomes_a_public_contact_with_its_full_text(client: httpx.AsyncClient, intake: FakeIntake):
    text = "@ExampleCouncil the streetlight outside 14 Mill Lane has been out for a fortnight " + "and it is dark. " * 8
    body = x_delivery(tweets=[x_mention("1050118621198921728", text)])
    response = await client.post("/webhooks/x", content=body, headers=x_signed(body))

    assert response.status_code == 200 and response.json()["accepted"] == 1
    (contact,) = intake.published
    assert contact.channel_reference == "x:tweet:1050118621198921728"
    assert contact.text == text
    assert_pseudonymous(contact, "783214")


async def test_an_x_direct_message_becomes_a_private_contact(client: httpx.AsyncClient, intake: FakeIntake):
    body = x_delivery(dms=[x_dm("1050122434537816068", "Can I book a bulky waste collection?")])
    response = await client.post("/webhooks/x", content=body, headers=x_signed(body))

    assert response.status_code == 200 and response.json()["accepted"] == 1
    (contact,) = intake.published
    assert contact.channel_reference == "x:dm:1050122434537816068"
    assert contact.text == "Can I book a bulky waste collection?"
    assert_pseudonymous(contact, "783214")


async def test_the_same_account_gets_the_same_reference_on_each_platform(client: httpx.AsyncClient, intake: FakeIntake):
    body = x_delivery(tweets=[x_mention("11", "pothole")], dms=[x_dm("12", "about that pothole")])
    await client.post("/webhooks/x", content=body, headers=x_signed(body))
    tweet, dm = intake.published
    assert tweet.customer_ref == dm.customer_ref


# --- The council's own posts and messages


async def test_the_councils_own_posts_and_messages_are_ignored(client: httpx.AsyncClient, intake: FakeIntake):
    own_post = feed_delivery(
        int(time.time()), feed_post("1", "Bin collections are running late today", from_id=PAGE_ID)
    )
    echo = messenger_delivery(
        messenger_message("m_echo", "Thanks, we have passed this on", sender=PAGE_ID, is_echo=True)
    )
    own_x = x_delivery(
        tweets=[x_mention("21", "Libraries close at 4pm today", user_id=COUNCIL_X_ID)],
        dms=[x_dm("22", "Thanks for getting in touch", sender_id=COUNCIL_X_ID)],
    )
    answers = [
        await client.post("/webhooks/facebook", content=own_post, headers=facebook_signed(own_post)),
        await client.post("/webhooks/facebook", content=echo, headers=facebook_signed(echo)),
        await client.post("/webhooks/x", content=own_x, headers=x_signed(own_x)),
    ]
    assert all(answer.status_code == 200 for answer in answers)
    ignored = [item for answer in answers for item in answer.json()["ignored"]]
    assert [item["reason"] for item in ignored] == ["sent by the council"] * 4
    assert intake.published == []


async def test_reactions_edits_and_retweets_are_not_contact(client: httpx.AsyncClient, intake: FakeIntake):
    reaction = {
        "field": "feed",
        "value": {"item": "reaction", "verb": "add", "reaction_type": "like", "post_id": "1_2"},
    }
    edit = feed_post("3", "edited text", verb="edited")
    fb = feed_delivery(int(time.time()), reaction, edit, {"field": "name", "value": "Example Council"})
    retweet = x_mention("31", "RT @ExampleCouncil: Libraries close at 4pm") | {"retweeted_status": {"id_str": "30"}}
    x = json.dumps(json.loads(x_delivery(tweets=[retweet])) | {"favorite_events": [{"id": "a"}]}).encode()
    assert (await client.post("/webhooks/facebook", content=fb, headers=facebook_signed(fb))).json()["accepted"] == 0
    assert (await client.post("/webhooks/x", content=x, headers=x_signed(x))).json()["accepted"] == 0
    assert intake.published == []


# --- Signatures


@pytest.mark.parametrize("platform", ["facebook", "x"])
async def test_unsigned_and_wrongly_signed_deliveries_are_refused(
    client: httpx.AsyncClient, intake: FakeIntake, platform: str
):
    if platform == "facebook":
        body, sign = messenger_delivery(messenger_message("m_1", "hello")), facebook_signed
    else:
        body, sign = x_delivery(dms=[x_dm("41", "hello")]), x_signed
    url = f"/webhooks/{platform}"

    unsigned = await client.post(url, content=body, headers={"Content-Type": "application/json"})
    wrong_key = await client.post(url, content=body, headers=sign(body, secret="not-the-secret"))
    tampered = await client.post(url, content=body.replace(b"hello", b"HELLO"), headers=sign(body))

    assert unsigned.status_code == 401 and "not signed" in unsigned.json()["detail"]
    assert wrong_key.status_code == 403 and "does not match" in wrong_key.json()["detail"]
    assert tampered.status_code == 403
    assert intake.published == []


# --- Replays, duplicates and outages


async def test_stale_deliveries_are_ignored_and_recorded_not_published(client: httpx.AsyncClient, intake: FakeIntake):
    hour_ago = now_ms(seconds_ago=3600)
    fb = messenger_delivery(messenger_message("m_old", "replayed", at=hour_ago), messenger_message("m_new", "fresh"))
    feed = feed_delivery(hour_ago // 1000, feed_post("9", "replayed post"))
    x = x_delivery(tweets=[x_mention("51", "replayed", at=hour_ago)], dms=[x_dm("52", "replayed", at=hour_ago)])

    answers = [
        await client.post("/webhooks/facebook", content=fb, headers=facebook_signed(fb)),
        await client.post("/webhooks/facebook", content=feed, headers=facebook_signed(feed)),
        await client.post("/webhooks/x", content=x, headers=x_signed(x)),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    ignored = [item for answer in answers for item in answer.json()["ignored"]]
    assert {item["reference"] for item in ignored} == {
        "facebook:message:m_old",
        f"facebook:post:{PAGE_ID}_9",
        "x:tweet:51",
        "x:dm:52",
    }
    assert all("older than 300 seconds" in item["reason"] for item in ignored)
    assert [contact.channel_reference for contact in intake.published] == ["facebook:message:m_new"]


async def test_a_redelivery_publishes_nothing_new(client: httpx.AsyncClient, intake: FakeIntake):
    body = x_delivery(tweets=[x_mention("61", "@ExampleCouncil fly-tipping on Back Lane")])
    first = await client.post("/webhooks/x", content=body, headers=x_signed(body))
    again = await client.post("/webhooks/x", content=body, headers=x_signed(body))

    assert first.json() == {"accepted": 1, "duplicates": 0, "ignored": []}
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 1, "ignored": []}
    assert len(intake.published) == 1


async def test_an_unavailable_intake_asks_the_platform_to_retry(client: httpx.AsyncClient, intake: FakeIntake):
    intake.unavailable = True
    body = messenger_delivery(messenger_message("m_2", "Is the tip open on Sunday?"))
    response = await client.post("/webhooks/facebook", content=body, headers=facebook_signed(body))
    assert response.status_code == 503 and response.headers["retry-after"] == "5"

    intake.unavailable = False
    retried = await client.post("/webhooks/facebook", content=body, headers=facebook_signed(body))
    assert retried.status_code == 200 and len(intake.published) == 1


# --- Bad input


@pytest.mark.parametrize(
    ("platform", "body", "named"),
    [
        ("facebook", b"{not json", "Invalid JSON"),
        ("x", b"\xff\xfe", "Invalid JSON"),
        ("facebook", b'{"object": "user", "entry": []}', "object"),
        ("facebook", b'{"object": "page", "entry": [{"id": "1"}]}', "entry.0.time"),
        ("facebook", b'{"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [{"message": {}}]}]}', "mid"),
        ("x", b'{"tweet_create_events": []}', "for_user_id"),
        ("x", b'{"for_user_id": "1", "direct_message_events": [{"type": "message_create"}]}', "created_timestamp"),
    ],
)
async def test_malformed_deliveries_are_refused_naming_the_problem(
    client: httpx.AsyncClient, intake: FakeIntake, platform: str, body: bytes, named: str
):
    sign = facebook_signed if platform == "facebook" else x_signed
    response = await client.post(f"/webhooks/{platform}", content=body, headers=sign(body))
    assert response.status_code == 400, response.text
    assert named in response.json()["detail"]
    assert intake.published == []


async def test_an_oversized_body_is_refused(client: httpx.AsyncClient, intake: FakeIntake):
    body = messenger_delivery(messenger_message("m_big", "x" * 6_000))
    response = await client.post("/webhooks/facebook", content=body, headers=facebook_signed(body))
    assert response.status_code == 413
    assert intake.published == []
