"""Social media: webhooks from Facebook (Page feed and Messenger) and X (Account Activity API).

Each delivery is checked against the platform's signature on the raw body before anything is read.
Every customer post or message in it becomes a `ContactReceived` on the `social_media` channel, with
a `channel_reference` that says whether it was public or private:

    facebook:post:<post or comment id>    public, on the council's Page
    facebook:message:<mid>                private, by Messenger
    x:tweet:<tweet id>                    public, a mention of or reply to the council
    x:dm:<event id>                       private, a direct message

The person is only ever a pseudonymous `customer_ref`: platform user ids, handles and names stay here.

Replays: an event older than `webhook_max_age_seconds` is not published. The delivery is still
answered 200, listing the event as ignored (and logged), because a delivery that is too old will
never become fresh: a 4xx would only make the platform retry it, and Meta disables webhooks that keep
failing. Redelivery of a fresh event is harmless: the channel reference makes `Intake.accept` idempotent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar
from uuid import NAMESPACE_URL, uuid5

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Discriminator, Field, SecretStr, StringConstraints, Tag, ValidationError

from frontdoor_shared.contracts import Channel, ContactKind, ContactReceived
from frontdoor_shared.logging import get_logger

from ..publishing import Intake, IntakeUnavailable
from ..settings import IntakeSettings

log = get_logger(__name__)

MAX_TEXT = 20_000
"""The contract's limit; longer posts (X allows 25,000 characters) are cut rather than refused."""

Epoch = Annotated[int, Field(ge=0, lt=10**14, description="Unix time in seconds or milliseconds")]
PlatformId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,180}$")]
"""A post, comment or message id: short enough to make a `channel_reference`."""


def social_customer_ref(key: bytes, platform: Literal["facebook", "x"], user_id: str) -> str:
    """Like `customers.customer_ref`, for a platform's user id: the same account always gets the same reference."""
    return "cust_" + hmac.new(key, f"{platform}:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def facebook_signature(app_secret: bytes, body: bytes) -> str:
    """The value Meta sends in `X-Hub-Signature-256`."""
    return "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


def x_signature(consumer_secret: bytes, message: bytes) -> str:
    """The value X sends in `x-twitter-webhooks-signature`, and the CRC `response_token`."""
    return "sha256=" + base64.b64encode(hmac.new(consumer_secret, message, hashlib.sha256).digest()).decode()


class _Platform(BaseModel):
    """Platforms add fields without notice: unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore")


# --- Facebook: https://developers.facebook.com/docs/graph-api/webhooks (object "page")


class FacebookId(_Platform):
    id: str


class FeedValue(_Platform):
    item: str = Field(description="status, post, photo, video, comment, reaction, share, ...")
    verb: str = Field(description="add, edited or remove")
    from_: FacebookId | None = Field(default=None, alias="from")
    post_id: PlatformId | None = None
    comment_id: PlatformId | None = None
    message: str | None = None


class FeedChange(_Platform):
    field: Literal["feed"]
    value: FeedValue


class OtherChange(_Platform):
    field: str
    value: Any = None


class MessengerMessage(_Platform):
    mid: PlatformId
    text: str | None = None
    is_echo: bool = False


class MessagingMessage(_Platform):
    sender: FacebookId
    recipient: FacebookId
    timestamp: Epoch
    message: MessengerMessage


class OtherMessaging(_Platform):
    """Deliveries, reads, postbacks, reactions: not contact."""


def _by_field(value: Any) -> str:
    field = value.get("field") if isinstance(value, dict) else getattr(value, "field", None)
    return "feed" if field == "feed" else "other"


def _by_message(value: Any) -> str:
    has_message = "message" in value if isinstance(value, dict) else isinstance(value, MessagingMessage)
    return "message" if has_message else "other"


Change = Annotated[Annotated[FeedChange, Tag("feed")] | Annotated[OtherChange, Tag("other")], Discriminator(_by_field)]
Messaging = Annotated[
    Annotated[MessagingMessage, Tag("message")] | Annotated[OtherMessaging, Tag("other")],
    Discriminator(_by_message),
]


class FacebookEntry(_Platform):
    id: str = Field(description="The Page's id")
    time: Epoch
    changes: list[Change] = []
    messaging: list[Messaging] = []


class FacebookDelivery(_Platform):
    object: Literal["page"]
    entry: list[FacebookEntry]


# --- X: https://docs.x.com/x-api/account-activity/introduction


class XUser(_Platform):
    id_str: str


class XExtendedTweet(_Platform):
    full_text: str


class XTweet(_Platform):
    id_str: PlatformId
    text: str | None = None
    full_text: str | None = None
    extended_tweet: XExtendedTweet | None = None
    user: XUser
    timestamp_ms: Epoch
    retweeted_status: dict[str, Any] | None = None


class XMessageData(_Platform):
    text: str | None = None


class XMessageCreate(_Platform):
    sender_id: str
    message_data: XMessageData


class XDirectMessage(_Platform):
    type: str
    id: PlatformId
    created_timestamp: Epoch
    message_create: XMessageCreate | None = None


class XDelivery(_Platform):
    for_user_id: str = Field(description="The council's own account")
    tweet_create_events: list[XTweet] = []
    direct_message_events: list[XDirectMessage] = []


# --- From platform events to contacts


class Ignored(BaseModel):
    reference: str
    reason: str


Event = ContactReceived | Ignored


class WebhookAnswer(BaseModel):
    accepted: int = 0
    duplicates: int = Field(default=0, description="Accepted before: nothing new was published")
    ignored: list[Ignored] = []


def _instant(epoch: int) -> datetime:
    """Meta sends Page `entry.time` in seconds and Messenger times in milliseconds; X sends milliseconds."""
    return datetime.fromtimestamp(epoch / 1000 if epoch >= 10**11 else epoch, UTC)


def _contact(
    reference: str,
    *,
    platform: Literal["facebook", "x"],
    sender: str | None,
    own: bool,
    at: int,
    text: str | None,
    key: bytes,
    now: datetime,
    max_age: timedelta,
) -> Event:
    received_at = _instant(at)
    if own:
        return Ignored(reference=reference, reason="sent by the council")
    if now - received_at > max_age:
        return Ignored(reference=reference, reason=f"older than {int(max_age.total_seconds())} seconds: a replay")
    if not text or not text.strip():
        return Ignored(reference=reference, reason="no text")
    return ContactReceived(
        contact_id=uuid5(NAMESPACE_URL, f"frontdoor:{Channel.SOCIAL_MEDIA.value}:{reference}"),
        channel=Channel.SOCIAL_MEDIA,
        channel_reference=reference,
        kind=ContactKind.UNCLASSIFIED,
        subject=None,
        text=text[:MAX_TEXT],
        customer_ref=social_customer_ref(key, platform, sender) if sender else None,
        received_at=received_at,
    )


FEED_ITEMS = frozenset({"status", "post", "photo", "video", "comment"})
"""Feed items a customer writes; reactions, likes and shares carry nothing to route."""


def facebook_contacts(delivery: FacebookDelivery, key: bytes, now: datetime, max_age: timedelta) -> list[Event]:
    """New posts and comments on the Page, and Messenger messages to it; edits and removals are not new contact."""
    found: list[Event] = []
    for entry in delivery.entry:
        for change in entry.changes:
            if not isinstance(change, FeedChange) or change.value.item not in FEED_ITEMS or change.value.verb != "add":
                continue
            post = change.value
            post_id = post.comment_id if post.item == "comment" else post.post_id
            if not post_id:
                continue
            sender = post.from_.id if post.from_ else None
            found.append(
                _contact(
                    f"facebook:post:{post_id}",
                    platform="facebook",
                    sender=sender,
                    own=sender == entry.id,
                    at=entry.time,
                    text=post.message,
                    key=key,
                    now=now,
                    max_age=max_age,
                )
            )
        for event in entry.messaging:
            if not isinstance(event, MessagingMessage):
                continue
            found.append(
                _contact(
                    f"facebook:message:{event.message.mid}",
                    platform="facebook",
                    sender=event.sender.id,
                    own=event.message.is_echo or event.sender.id == entry.id,
                    at=event.timestamp,
                    text=event.message.text,
                    key=key,
                    now=now,
                    max_age=max_age,
                )
            )
    return found


def x_contacts(delivery: XDelivery, key: bytes, now: datetime, max_age: timedelta) -> list[Event]:
    """Tweets that mention or reply to the council, and direct messages to it; retweets are not contact."""
    found: list[Event] = []
    for tweet in delivery.tweet_create_events:
        if tweet.retweeted_status is not None:
            continue
        found.append(
            _contact(
                f"x:tweet:{tweet.id_str}",
                platform="x",
                sender=tweet.user.id_str,
                own=tweet.user.id_str == delivery.for_user_id,
                at=tweet.timestamp_ms,
                text=tweet.extended_tweet.full_text if tweet.extended_tweet else tweet.full_text or tweet.text,
                key=key,
                now=now,
                max_age=max_age,
            )
        )
    for dm in delivery.direct_message_events:
        if dm.type != "message_create" or dm.message_create is None:
            continue
        found.append(
            _contact(
                f"x:dm:{dm.id}",
                platform="x",
                sender=dm.message_create.sender_id,
                own=dm.message_create.sender_id == delivery.for_user_id,
                at=dm.created_timestamp,
                text=dm.message_create.message_data.text,
                key=key,
                now=now,
                max_age=max_age,
            )
        )
    return found


# --- HTTP

M = TypeVar("M", bound=BaseModel)


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in error.errors(include_url=False, include_context=False, include_input=False)
    )


def social_router(intake: Intake, settings: IntakeSettings, key: bytes) -> APIRouter:
    router = APIRouter(tags=["social media"])
    max_age = timedelta(seconds=settings.webhook_max_age_seconds)

    def configured(secret: SecretStr | None, name: str) -> bytes:
        if secret is None:
            raise HTTPException(503, detail=f"this webhook is not configured: set {name.upper()}")
        return secret.get_secret_value().encode()

    async def signed_body(request: Request, secret: bytes, header: str, sign: Callable[[bytes, bytes], str]) -> bytes:
        signature = request.headers.get(header)
        if not signature:
            raise HTTPException(401, detail=f"the delivery is not signed: the {header} header is missing")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise HTTPException(413, detail=f"the body is larger than {settings.max_body_bytes} bytes")
        if not hmac.compare_digest(signature.strip().encode(), sign(secret, bytes(body)).encode()):
            raise HTTPException(403, detail=f"the {header} signature does not match the body")
        return bytes(body)

    def parse(model: type[M], body: bytes, what: str) -> M:
        try:
            return model.model_validate_json(body)
        except ValidationError as error:
            raise HTTPException(400, detail=f"not {what}: {_problems(error)}") from None

    async def accept_all(platform: str, events: list[Event]) -> WebhookAnswer:
        """Answer only once every contact is accepted, so a 503 makes the platform send the delivery again."""
        answer = WebhookAnswer()
        for event in events:
            if isinstance(event, Ignored):
                log.warning("social media event not published", platform=platform, **event.model_dump())
                answer.ignored.append(event)
                continue
            try:
                accepted = await intake.accept(event)
            except IntakeUnavailable as error:
                raise HTTPException(
                    503,
                    detail=f"the delivery was not fully accepted: {error}. Send it again.",
                    headers={"Retry-After": "5"},
                ) from error
            if accepted.duplicate:
                answer.duplicates += 1
            else:
                answer.accepted += 1
        log.info("social media delivery", platform=platform, accepted=answer.accepted, duplicates=answer.duplicates)
        return answer

    @router.get("/webhooks/facebook", response_class=PlainTextResponse)
    async def facebook_verification(
        mode: str | None = Query(default=None, alias="hub.mode"),
        verify_token: str | None = Query(default=None, alias="hub.verify_token"),
        challenge: str | None = Query(default=None, alias="hub.challenge"),
    ) -> str:
        """Meta's subscription check: echo `hub.challenge` when `hub.verify_token` is ours."""
        expected = configured(settings.facebook_verify_token, "facebook_verify_token")
        if mode != "subscribe" or not challenge:
            raise HTTPException(400, detail="expected hub.mode=subscribe, hub.verify_token and hub.challenge")
        if not hmac.compare_digest((verify_token or "").encode(), expected):
            raise HTTPException(403, detail="hub.verify_token is not this webhook's verify token")
        return challenge

    @router.post("/webhooks/facebook", response_model=WebhookAnswer)
    async def facebook_delivery(request: Request) -> WebhookAnswer:
        """Page feed changes and Messenger messages, signed with the app secret in `X-Hub-Signature-256`."""
        secret = configured(settings.facebook_app_secret, "facebook_app_secret")
        body = await signed_body(request, secret, "X-Hub-Signature-256", facebook_signature)
        delivery = parse(FacebookDelivery, body, "a Facebook Page webhook delivery")
        return await accept_all("facebook", facebook_contacts(delivery, key, datetime.now(UTC), max_age))

    @router.get("/webhooks/x")
    async def x_challenge_response_check(crc_token: str | None = Query(default=None)) -> dict[str, str]:
        """X's CRC: prove we hold the consumer secret by signing `crc_token` with it."""
        secret = configured(settings.x_consumer_secret, "x_consumer_secret")
        if not crc_token:
            raise HTTPException(400, detail="expected a crc_token")
        return {"response_token": x_signature(secret, crc_token.encode())}

    @router.post("/webhooks/x", response_model=WebhookAnswer)
    async def x_delivery(request: Request) -> WebhookAnswer:
        """Account Activity events, signed with the consumer secret in `x-twitter-webhooks-signature`."""
        secret = configured(settings.x_consumer_secret, "x_consumer_secret")
        body = await signed_body(request, secret, "x-twitter-webhooks-signature", x_signature)
        delivery = parse(XDelivery, body, "an X Account Activity delivery")
        return await accept_all("x", x_contacts(delivery, key, datetime.now(UTC), max_age))

    return router
