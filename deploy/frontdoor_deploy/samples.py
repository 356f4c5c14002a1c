"""One documented example for every channel, sent to a running intake service as each channel's own
system would send it: JSON, form-encoded Open311, CSV letters, signed webhooks and real SMTP mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "channels"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def _json(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def send_all(intake_url: str, smtp: tuple[str, int], secrets: Callable[[str], str]) -> list[tuple[str, int, str]]:
    """Send every sample; returns (channel, status, answer) for each. SMTP answers are SMTP codes."""
    key = {"X-Api-Key": secrets("integration_key")}
    as_json = {"content-type": "application/json"}
    sent = [
        ("web", *_post(f"{intake_url}/v1/contacts", _json("web-contact.json"), as_json)),
        (
            "phone (telephony webhook)",
            *_post(f"{intake_url}/v1/telephony/calls", _json("telephony-call.json"), as_json | key),
        ),
        ("face to face (hub visit)", *_post(f"{intake_url}/v1/hubs/visits", _json("hub-visit.json"), as_json | key)),
        ("councillors' casework", *_post(f"{intake_url}/v1/casework", _json("casework.json"), as_json | key)),
        ("library", *_post(f"{intake_url}/v1/libraries/contacts", _json("library-contact.json"), as_json | key)),
        (
            "satisfaction survey",
            *_post(f"{intake_url}/v1/surveys/responses", _json("survey-response.json"), as_json | key),
        ),
        (
            "letters (CSV batch)",
            *_post(f"{intake_url}/v1/letters/import", _json("letters.csv"), {"content-type": "text/csv"} | key),
        ),
    ]
    open311 = SAMPLES / "open311-request.txt"
    if open311.exists():
        form = dict(urllib.parse.parse_qsl(open311.read_text().strip()))
        form["api_key"] = secrets("integration_key")
        sent.append(
            (
                "Open311 (FixMyStreet)",
                *_post(
                    f"{intake_url}/open311/v2/requests.json",
                    urllib.parse.urlencode(form).encode(),
                    {"content-type": "application/x-www-form-urlencoded"},
                ),
            )
        )
    now = int(time.time())
    post = json.loads(_json("facebook-post.json"))
    post["entry"][0]["time"] = now
    body = json.dumps(post).encode()
    signature = hmac.new(secrets("facebook_app_secret").encode(), body, hashlib.sha256).hexdigest()
    sent.append(
        (
            "Facebook (Page post)",
            *_post(f"{intake_url}/webhooks/facebook", body, as_json | {"X-Hub-Signature-256": f"sha256={signature}"}),
        )
    )
    dm = json.loads(_json("x-direct-message.json"))
    dm["direct_message_events"][0]["created_timestamp"] = str(now * 1000)
    body = json.dumps(dm).encode()
    digest = hmac.new(secrets("x_consumer_secret").encode(), body, hashlib.sha256).digest()
    sent.append(
        (
            "X (direct message)",
            *_post(
                f"{intake_url}/webhooks/x",
                body,
                as_json | {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()},
            ),
        )
    )
    with smtplib.SMTP(*smtp, timeout=30) as server:
        refused = server.sendmail("resident@example.org", ["contact@council.example"], _json("email.eml"))
        code, answer = (250, "accepted") if not refused else (550, str(refused))
        sent.append(("email (SMTP)", code, answer))
    return sent
