"""An asynchronous, caching JWKS client.

PyJWT's ``PyJWKClient`` fetches with blocking ``urllib`` and would stall the event loop of every
request that triggers a refresh. This client fetches with httpx, keeps the key set for
``cache_seconds``, and refetches early only when a token names a key id it does not know (key
rotation), at most once per ``min_refresh_seconds`` so forged key ids cannot hammer the provider.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt
import structlog
from pmo_events.errors import Unauthenticated

logger = structlog.get_logger(__name__)


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self._cache_seconds = cache_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._timeout = timeout_seconds
        self._client = client
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The key a token's ``kid`` names (or the only key, for tokens without a kid)."""
        now = time.monotonic()
        if self._fetched_at is None or now - self._fetched_at > self._cache_seconds:
            await self._refresh(force=True)
        found = self._pick(kid)
        if found is None:
            await self._refresh(force=False)  # maybe the provider rotated its keys
            found = self._pick(kid)
        if found is None:
            if kid is None:
                raise Unauthenticated(
                    "token has no key id (kid) and the issuer publishes several keys: "
                    "obtain a token that names its key"
                )
            raise Unauthenticated(
                f"token signed with unknown key id {kid[:64]!r}, not in the issuer's key set at "
                f"{self.url}: obtain a new token"
            )
        return found

    def _pick(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._fetched_at is not None:
                age = now - self._fetched_at
                # Another request refreshed while this one waited, or a refresh is too recent.
                if age < self._min_refresh_seconds or (force and age <= self._cache_seconds):
                    return
            try:
                document = await self._fetch()
            except Unauthenticated:
                if not self._keys:
                    raise
                # The provider is briefly away: keep trusting the keys we have, retry soon.
                logger.warning("jwks_refresh_failed", url=self.url, keeping=len(self._keys))
                self._fetched_at = now - self._cache_seconds + self._min_refresh_seconds
                return
            try:
                key_set = jwt.PyJWKSet.from_dict(document)
            except jwt.PyJWTError as error:
                raise Unauthenticated(
                    f"the issuer's key set at {self.url} has no usable key ({error}); "
                    "ask the identity provider's operators"
                ) from None
            keys: dict[str, jwt.PyJWK] = {}
            for index, key in enumerate(key_set.keys):
                keys[key.key_id or f"#{index}"] = key
            self._keys = keys
            self._fetched_at = now

    async def _fetch(self) -> dict[str, Any]:
        try:
            if self._client is not None:
                response = await self._client.get(self.url, timeout=self._timeout)
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    response = await client.get(self.url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise Unauthenticated(
                f"cannot fetch the issuer's signing keys from {self.url} ({error}); "
                "retry shortly, and tell the operators if it persists"
            ) from None
        if not isinstance(document, dict):
            raise Unauthenticated(f"the document at {self.url} is not a JWKS (a JSON object)")
        return document
