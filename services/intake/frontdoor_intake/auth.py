"""Machine endpoints authenticate with a per-integration key, configured, never written in code."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from fastapi import Header, HTTPException
from pydantic import SecretStr

from frontdoor_shared.logging import get_logger

log = get_logger(__name__)


def integration_key(keys: Mapping[str, SecretStr]) -> Callable[..., str]:
    """A FastAPI dependency: the name of the integration whose X-Api-Key was sent, or 401."""

    async def check(x_api_key: str | None = Header(default=None, description="The integration's key")) -> str:
        if not x_api_key:
            raise HTTPException(401, detail="X-Api-Key header missing: machine endpoints need an integration key")
        for name, secret in keys.items():
            if hmac.compare_digest(x_api_key.encode(), secret.get_secret_value().encode()):
                return name
        log.warning("request with an unknown integration key refused")
        raise HTTPException(401, detail="X-Api-Key is not a key of any configured integration")

    return check
