"""Request authentication: the one place the gateway decides whether a caller may query at all.

Each subgraph verifies the forwarded token again and checks roles; the gateway refuses requests
without a valid token before planning, so they never reach a subgraph.
"""

from __future__ import annotations

from typing import Protocol

from pmo_events.errors import Unauthenticated
from pmo_service.auth import JwtVerifier, Principal, bearer_token

__all__ = ["Authenticator", "JwtAuthenticator", "Unauthenticated"]


class Authenticator(Protocol):
    async def authenticate(self, authorization: str | None) -> Principal:
        """The caller of a request with this ``Authorization`` header; raises Unauthenticated."""
        ...


class JwtAuthenticator:
    def __init__(self, verifier: JwtVerifier) -> None:
        self.verifier = verifier

    async def authenticate(self, authorization: str | None) -> Principal:
        return await self.verifier.verify(bearer_token(authorization))
