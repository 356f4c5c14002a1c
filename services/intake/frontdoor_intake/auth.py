"""Machine endpoints authenticate with a per-integration key, configured, never written in code, and each
integration has its own rate limit."""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import Header, HTTPException
from pydantic import SecretStr

from frontdoor_shared.logging import get_logger

log = get_logger(__name__)


class RateLimited(Exception):
    """An integration sent more than its limit allows; `retry_after` is whole seconds until it may send again."""

    def __init__(self, integration: str, limits: RateLimits, retry_after: int) -> None:
        self.integration = integration
        self.retry_after = retry_after
        self.detail = (
            f"Integration {integration!r} is over its rate limit of {limits.per_minute} requests a minute "
            f"(bursts of up to {limits.burst}); try again in {retry_after} s"
        )
        super().__init__(self.detail)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimits:
    """A token bucket per integration: `burst` requests at once, refilled at `per_minute` a minute.

    Buckets exist only for integrations that authenticated, so their number is bounded by the configured
    integrations however many requests, or unknown keys, a flood brings.
    """

    per_minute: int
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, integration: str) -> None:
        """Spend one request of the integration's allowance; raises RateLimited when it has none left."""
        now = self.clock()
        bucket = self._buckets.get(integration)
        if bucket is None:
            bucket = self._buckets[integration] = _Bucket(float(self.burst), now)
        rate = self.per_minute / 60.0
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens < 1.0:
            wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
            log.warning("integration over its rate limit", integration=integration, retry_after=wait)
            raise RateLimited(integration, self, wait)
        bucket.tokens -= 1.0

    @property
    def integrations_tracked(self) -> int:
        return len(self._buckets)


def integration_key(keys: Mapping[str, SecretStr], limits: RateLimits | None = None) -> Callable[..., str]:
    """A FastAPI dependency: the name of the integration whose X-Api-Key was sent, or 401; 429 over its limit."""

    async def check(x_api_key: str | None = Header(default=None, description="The integration's key")) -> str:
        if not x_api_key:
            raise HTTPException(401, detail="X-Api-Key header missing: machine endpoints need an integration key")
        for name, secret in keys.items():
            if hmac.compare_digest(x_api_key.encode(), secret.get_secret_value().encode()):
                if limits is not None:
                    try:
                        limits.take(name)
                    except RateLimited as limited:
                        raise HTTPException(
                            429, detail=limited.detail, headers={"Retry-After": str(limited.retry_after)}
                        ) from None
                return name
        log.warning("request with an unknown integration key refused")
        raise HTTPException(401, detail="X-Api-Key is not a key of any configured integration")

    return check
