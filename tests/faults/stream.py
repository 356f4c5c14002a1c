"""A known stream of contacts across every channel, and a pusher that sends it to intake until all is taken.

The stream is made from the labelled contacts the routing tests use (services, enquiries,
complaints, statutory complaints, compliments, comments), spread over the nine channels, each
sent the way that channel's own system sends it: web forms and scanned letters in batches,
telephony and hub webhooks, casework, libraries, Open311, signed Facebook and X webhooks, and
mail over SMTP. Every item carries its own reference, so a retry is the same contact again.

The pusher keeps retrying what was not taken (connection refused, reset, 5xx, `unavailable`)
until intake answers `accepted` or `duplicate` for every item: the same discipline as any
channel system facing an intake that may be down.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import re
import smtplib
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import httpx

ROUTING_TESTS = Path(__file__).resolve().parents[1] / "routing"
INTEGRATION_KEY = "fault-suite-integration-key-0123456789"
FACEBOOK_SECRET = "fault-suite-facebook-app-secret"
X_SECRET = "fault-suite-x-consumer-secret"
CHANNELS = {
    # channel: share of the stream
    "web": 30,
    "letter": 20,
    "phone": 8,
    "face_to_face": 7,
    "councillor_casework": 6,
    "library": 6,
    "open311": 8,
    "facebook": 4,
    "x": 4,
    "email": 7,
}
BATCHED = {"web": 100, "letter": 100}
UK_POSTCODES = ["LS6 2AB", "LS8 1AA", "LS9 7AB", "LS12 3QE", "LS11 5DR", "LS7 4HZ"]


def intake_env() -> dict[str, str]:
    """What intake needs for every channel the stream uses."""
    return {
        "INTEGRATION_API_KEYS": json.dumps({"faults": INTEGRATION_KEY}),
        "OPEN311_API_KEYS": json.dumps({"fixmystreet": INTEGRATION_KEY}),
        "FACEBOOK_APP_SECRET": FACEBOOK_SECRET,
        "FACEBOOK_VERIFY_TOKEN": "fault-suite-verify",
        "X_CONSUMER_SECRET": X_SECRET,
        # a delivery retried after a long outage is the same delivery, not a replay
        "WEBHOOK_MAX_AGE_SECONDS": str(7 * 24 * 3600),
    }


@dataclass(frozen=True)
class Item:
    number: int
    channel: str
    body: Any
    """What the channel sends for this contact: a JSON object, a form, a raw webhook or a mail."""
    contact_id: UUID | None = None
    """Known beforehand for the channels whose answer does not name the contact (the webhooks)."""


def _texts() -> list[dict[str, Any]]:
    rows = []
    for name in ("labelled_contacts.jsonl", "held_out_contacts.jsonl"):
        with (ROUTING_TESTS / name).open() as lines:
            rows += [json.loads(line) for line in lines if line.strip()]
    return rows


def make_stream(size: int, seed: int, run: str) -> list[Item]:
    """`size` contacts, the same for the same seed; `run` keeps references apart between runs."""
    rng = random.Random(seed)
    rows = _texts()
    channels, weights = list(CHANNELS), list(CHANNELS.values())
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    items = []
    for number in range(size):
        row = rng.choice(rows)
        channel = rng.choices(channels, weights)[0]
        at = base + timedelta(milliseconds=number * 7)
        items.append(_item(number, channel, row, at, f"{run}-{number}", rng))
    return items


def _item(number: int, channel: str, row: dict[str, Any], at: datetime, ref: str, rng: random.Random) -> Item:
    text, subject, kind = row["text"], row["subject"], row["intake_kind"]
    postcode = rng.choice(UK_POSTCODES) if rng.random() < 0.5 else None
    if channel == "web":
        body = {"submission_id": ref, "kind": kind, "subject": subject, "message": text, "postcode": postcode}
        body["email"] = f"resident.{ref}@example.org"
        return Item(number, channel, {k: v for k, v in body.items() if v is not None})
    if channel == "letter":
        body = {"letter_id": ref, "received_on": at.date().isoformat(), "subject": subject, "text": text}
        body |= {"postcode": postcode, "kind": kind}
        return Item(number, channel, {k: v for k, v in body.items() if v is not None})
    if channel == "phone":
        body = {
            "call_id": ref,
            "event": "ended",
            "at": at.isoformat(),
            "queue": "general",
            "caller_number": f"0113 496 {number % 10000:04d}",
            "talk_seconds": 120,
            "summary": text,
            "kind": kind,
        }
        return Item(number, channel, body)
    if channel == "face_to_face":
        body = {"visit_id": ref, "event": "seen", "at": at.isoformat(), "hub": "Compton Centre", "notes": text}
        body |= {"kind": kind, "postcode": postcode} if postcode else {"kind": kind}
        return Item(number, channel, body)
    if channel == "councillor_casework":
        member = row.get("on_behalf_of") or {"member_name": "Cllr A. Member", "ward": "Armley"}
        body = {
            "enquiry_id": ref,
            "member_id": "cllr-" + re.sub(r"[^a-z]+", "-", member["ward"].lower()).strip("-"),
            "member_name": member["member_name"],
            "ward": member["ward"],
            "text": text,
            "kind": kind,
            "received_at": at.isoformat(),
        }
        return Item(number, channel, body)
    if channel == "library":
        body = {
            "reference": ref,
            "library": "Central Library",
            "what": "council_service",
            "text": text,
            "kind": kind,
            "received_at": at.isoformat(),
        }
        return Item(number, channel, body)
    if channel == "open311":
        form = {
            "service_code": "potholes",
            "lat": "53.8210",
            "long": "-1.5775",
            "address_string": "Otley Road, Leeds LS6 2AB",
            "description": f"Pothole number {number} in the cycle lane.",
            "attribute[depth]": "40mm_to_100mm",
            "attribute[surface]": "cycle_path",
            "attribute[fixmystreet_id]": ref,
            "api_key": INTEGRATION_KEY,
        }
        return Item(number, channel, form)
    if channel == "facebook":
        post_id = f"1234567890_{ref}"
        change = {
            "field": "feed",
            "value": {
                "item": "post",
                "verb": "add",
                "post_id": post_id,
                "message": text,
                "from": {"id": f"5550{number}", "name": "A Resident"},
                "created_time": int(at.timestamp()),
            },
        }
        body = {"object": "page", "entry": [{"id": "1234567890", "time": int(at.timestamp()), "changes": [change]}]}
        return Item(number, channel, body, _social_id(f"facebook:post:{post_id}"))
    if channel == "x":
        dm = {
            "type": "message_create",
            "id": ref,
            "created_timestamp": str(int(at.timestamp() * 1000)),
            "message_create": {
                "target": {"recipient_id": "900000001"},
                "sender_id": f"7000{number}",
                "message_data": {"text": text},
            },
        }
        body = {"for_user_id": "900000001", "direct_message_events": [dm]}
        return Item(number, channel, body, _social_id(f"x:dm:{ref}"))
    if channel == "email":
        mail = EmailMessage()
        mail["From"] = f"Resident <resident.{ref}@example.org>"
        mail["To"] = "contact@council.example"
        mail["Subject"] = subject or "Enquiry"
        mail["Message-ID"] = f"<{ref}@residents.example.org>"
        mail["Date"] = format_datetime(at)
        mail.set_content(text)
        return Item(number, channel, mail.as_bytes())
    raise ValueError(channel)


def _social_id(reference: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"frontdoor:social_media:{reference}")


@dataclass
class PushReport:
    contact_ids: dict[int, UUID] = field(default_factory=dict)
    """Item number -> the contact intake gave it."""
    by_channel: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    answers: Counter[str] = field(default_factory=Counter)

    @property
    def pushed(self) -> int:
        return len(self.contact_ids)


class Pusher:
    """Sends the stream to intake, retrying whatever was not taken until every item is."""

    def __init__(
        self, intake_url: str, smtp_port: int, concurrency: int = 4, limit: Callable[[], int] | None = None
    ) -> None:
        self.url = intake_url
        self.limit = limit
        self.smtp_port = smtp_port
        self.concurrency = concurrency
        self.report = PushReport()

    async def push(self, items: list[Item]) -> PushReport:
        work: asyncio.Queue[list[Item]] = asyncio.Queue()
        batched: dict[str, list[Item]] = {}
        for item in items:
            size = BATCHED.get(item.channel)
            if size is None:
                work.put_nowait([item])
                continue
            batch = batched.setdefault(item.channel, [])
            batch.append(item)
            if len(batch) == size:
                work.put_nowait(batched.pop(item.channel))
        for batch in batched.values():
            work.put_nowait(batch)
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            workers = [asyncio.create_task(self._worker(client, work)) for _ in range(self.concurrency)]
            try:
                await asyncio.gather(*workers)
            finally:
                for worker in workers:
                    worker.cancel()
        return self.report

    async def _worker(self, client: httpx.AsyncClient, work: asyncio.Queue[list[Item]]) -> None:
        while not work.empty():
            while self.limit is not None and self.report.pushed >= self.limit():  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # the fault in progress must strike while contacts still flow
            pending = work.get_nowait()
            backoff = 0.2
            while pending:
                try:
                    pending = await self._send(client, pending)
                except (httpx.HTTPError, OSError, smtplib.SMTPException) as error:
                    self.report.answers[type(error).__name__] += 1
                if pending:
                    self.report.retries += 1
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)

    def _taken(self, item: Item, contact_id: str | UUID) -> None:
        self.report.contact_ids[item.number] = UUID(str(contact_id))
        self.report.by_channel[item.channel] += 1

    async def _send(self, client: httpx.AsyncClient, items: list[Item]) -> list[Item]:
        """Send once; returns the items still to be taken."""
        channel = items[0].channel
        key = {"X-Api-Key": INTEGRATION_KEY}
        if channel == "email":
            return await asyncio.to_thread(self._mail, items)
        if channel == "web":
            answer = await client.post("/v1/contacts/batch", json=[item.body for item in items])
            return self._rows(items, answer, "index", 0)
        if channel == "letter":
            body = "\n".join(json.dumps(item.body) for item in items).encode()
            answer = await client.post(
                "/v1/letters/import", content=body, headers=key | {"content-type": "application/x-ndjson"}
            )
            return self._rows(items, answer, "row", 1)
        [item] = items
        if channel in ("facebook", "x"):
            body = json.dumps(item.body).encode()
            if channel == "facebook":
                signature = "sha256=" + hmac.new(FACEBOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
                headers = {"X-Hub-Signature-256": signature}
            else:
                digest = hmac.new(X_SECRET.encode(), body, hashlib.sha256).digest()
                headers = {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()}
            answer = await client.post(
                f"/webhooks/{channel}", content=body, headers=headers | {"content-type": "application/json"}
            )
            self.report.answers[str(answer.status_code)] += 1
            if answer.status_code == 200:
                taken = answer.json()
                if taken["accepted"] + taken["duplicates"] == 1:
                    self._taken(item, item.contact_id)
                    return []
                raise AssertionError(f"{channel} delivery {item.number} not taken: {taken}")
            return self._refused_or_retry(items, answer)
        if channel == "open311":
            answer = await client.post(
                "/open311/v2/requests.json",
                content=urllib.parse.urlencode(item.body).encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            self.report.answers[str(answer.status_code)] += 1
            if answer.status_code in (200, 201):
                self._taken(item, answer.json()[0]["service_request_id"])
                return []
            return self._refused_or_retry(items, answer)
        path = {
            "phone": "/v1/telephony/calls",
            "face_to_face": "/v1/hubs/visits",
            "councillor_casework": "/v1/casework",
            "library": "/v1/libraries/contacts",
        }[channel]
        answer = await client.post(path, json=item.body, headers=key)
        self.report.answers[str(answer.status_code)] += 1
        if answer.status_code in (200, 202) and answer.json().get("contact_id"):
            self._taken(item, answer.json()["contact_id"])
            return []
        return self._refused_or_retry(items, answer)

    def _rows(self, items: list[Item], answer: httpx.Response, position: str, first: int) -> list[Item]:
        self.report.answers[str(answer.status_code)] += 1
        if answer.status_code != 207:
            return self._refused_or_retry(items, answer)
        left = []
        for row in answer.json():
            item = items[row[position] - first]
            self.report.answers[row["status"]] += 1
            if row["status"] in ("accepted", "duplicate"):
                self._taken(item, row["contact_id"])
            elif row["status"] == "unavailable":
                left.append(item)
            else:
                raise AssertionError(f"item {item.number} ({item.channel}) refused: {row}")
        return left

    @staticmethod
    def _refused_or_retry(items: list[Item], answer: httpx.Response) -> list[Item]:
        if answer.status_code in (429, 500, 502, 503, 504):
            return items  # not taken: try again
        raise AssertionError(f"{items[0].channel} item {items[0].number} refused: {answer.status_code} {answer.text}")

    def _mail(self, items: list[Item]) -> list[Item]:
        [item] = items
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as server:
            server.ehlo()
            code, _ = server.mail(f"resident.{item.number}@example.org")
            if code != 250:
                return items
            code, _ = server.rcpt("contact@council.example")
            if code != 250:
                return items
            code, answer = server.data(item.body)
        text = answer.decode(errors="replace")
        self.report.answers[f"smtp {code}"] += 1
        if code == 250 and (found := re.search(r"contact ([0-9a-f-]{36})", text)):
            self._taken(item, found.group(1))
            return []
        if 400 <= code < 500:
            return items
        raise AssertionError(f"mail {item.number} refused: {code} {text}")
