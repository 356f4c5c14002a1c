"""Rate limits per integration in intake: a token bucket per integration key, 429 with Retry-After and a
message naming the integration's limit, other integrations unaffected, and memory bounded under a flood."""

from __future__ import annotations

import uuid

import httpx
import pytest

from frontdoor_intake.app import create_app as intake_app
from frontdoor_intake.auth import RateLimited, RateLimits
from frontdoor_intake.settings import IntakeSettings

TELEPHONY = "telephony-key-0123456789"
HUBS = "hub-system-key-0123456789"
OPEN311 = "fixmystreet-key-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate():
    clock = Clock()
    limits = RateLimits(per_minute=60, burst=3, clock=clock)
    for _ in range(3):
        limits.take("telephony")
    with pytest.raises(RateLimited) as refused:
        limits.take("telephony")
    assert refused.value.retry_after == 1
    assert "'telephony'" in refused.value.detail and "60 requests a minute" in refused.value.detail
    limits.take("hubs")  # another integration has its own bucket
    clock.now += 1.0  # one request's worth at 60 a minute
    limits.take("telephony")
    with pytest.raises(RateLimited):
        limits.take("telephony")
    clock.now += 3600  # refills to the burst, never beyond
    for _ in range(3):
        limits.take("telephony")
    with pytest.raises(RateLimited):
        limits.take("telephony")


def test_the_wait_named_is_until_the_next_request_is_allowed():
    clock = Clock()
    limits = RateLimits(per_minute=6, burst=1, clock=clock)
    limits.take("scanner")
    with pytest.raises(RateLimited) as refused:
        limits.take("scanner")
    assert refused.value.retry_after == 10
    clock.now += 9.9
    with pytest.raises(RateLimited):
        limits.take("scanner")
    clock.now += 0.1
    limits.take("scanner")


async def test_intake_answers_429_per_integration_with_retry_after_and_bounded_memory(namespace, tmp_path):
    settings = namespace.settings(
        IntakeSettings,
        integration_api_keys={"telephony": TELEPHONY, "hubs": HUBS},
        open311_api_keys={"fixmystreet": OPEN311},
        intake_rate_limit_per_minute=60,
        intake_rate_limit_burst=5,
        attachment_dir=tmp_path,
    )
    app = intake_app(settings)
    clock = Clock()
    app.state.rate_limits.clock = clock  # time stands still: the burst is all there is
    transport = httpx.ASGITransport(app=app)
    survey = {"method": "survey", "at": "2010-01-08T10:00:00Z", "score": 4}
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://i") as client:

        async def send(key: str) -> httpx.Response:
            body = survey | {"response_id": f"S-{uuid.uuid4()}"}
            return await client.post("/v1/surveys/responses", json=body, headers={"X-Api-Key": key})

        answers = [await send(TELEPHONY) for _ in range(8)]
        assert [a.status_code for a in answers] == [202] * 5 + [429] * 3
        refused = answers[-1]
        assert refused.headers["Retry-After"] == "1"
        detail = refused.json()["detail"]
        assert "'telephony'" in detail and "60 requests a minute" in detail and "bursts of up to 5" in detail
        assert (await send(HUBS)).status_code == 202, "another integration is not limited by this one"

        # a flood of unknown keys is refused by authentication and leaves nothing behind
        for number in range(500):
            assert (await send(f"guess-{number}")).status_code == 401
        # a flood from a known integration: refused cheaply, one bucket however long it goes on
        flood = [await send(HUBS) for _ in range(300)]
        assert sum(a.status_code == 429 for a in flood) == 296
        assert app.state.rate_limits.integrations_tracked == 2

        # Open311 applications are integrations too, identified by api_key
        form = {
            "api_key": OPEN311,
            "service_code": "potholes",
            "lat": "53.8",
            "long": "-1.55",
            "attribute[depth]": "over_100mm",
        }
        posts = [
            await client.post("/open311/v2/requests.json", data=form | {"attribute[fixmystreet_id]": str(n)})
            for n in range(7)
        ]
        assert [p.status_code for p in posts] == [200] * 5 + [429] * 2, posts[-1].text
        assert posts[-1].headers["Retry-After"] == "1"
        assert "'open311:fixmystreet'" in posts[-1].json()[0]["description"]

        clock.now += 2.0  # two requests' worth
        assert [(await send(TELEPHONY)).status_code for _ in range(3)] == [202, 202, 429]
