"""JWT verification: every request's bearer token, checked by the gateway and again by each service.

Accepted tokens are signed with RS256 or ES256 only (never ``none``, never HMAC: a public key must
not double as a shared secret), carry ``sub``, ``exp``, ``iat`` and ``roles``, and match the
configured issuer and audience. Every refusal raises ``Unauthenticated`` with a message that says
what is wrong and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
from pmo_events.errors import Unauthenticated

from pmo_service.devkeys import (
    KeyFileError,
    VerifyingKey,
    algorithm_for,
    ensure_dev_keys,
    issue_dev_token,
    key_id,
    load_public_key,
)
from pmo_service.jwks import JwksCache
from pmo_service.principal import Principal, Role, parse_roles, require_roles
from pmo_service.settings import BaseAppSettings

ACCEPTED_ALGORITHMS = frozenset({"RS256", "ES256"})
REQUIRED_CLAIMS = ("sub", "exp", "iat", "roles")
_ROLE_NAMES = frozenset(role.value for role in Role)

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "JwtVerifier",
    "KeyFileError",
    "Principal",
    "Role",
    "bearer_token",
    "ensure_dev_keys",
    "issue_dev_token",
    "parse_roles",
    "require_roles",
]


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value."""
    if not authorization:
        raise Unauthenticated(
            "missing Authorization header: send `Authorization: Bearer <token>` "
            "(in development, print one with the service's `token` command)"
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be `Bearer <token>`")
    return token.strip()


class JwtVerifier:
    """Verifies tokens against one local public key, or against the issuer's JWKS."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: float = 30.0,
        public_key: VerifyingKey | None = None,
        jwks: JwksCache | None = None,
    ) -> None:
        if (public_key is None) == (jwks is None):
            raise ValueError("JwtVerifier needs exactly one of public_key and jwks")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self._public_key = public_key
        self._public_algorithm = algorithm_for(public_key) if public_key is not None else None
        self._public_kid = key_id(public_key) if public_key is not None else None
        self._jwks = jwks

    @classmethod
    def from_settings(cls, settings: BaseAppSettings) -> JwtVerifier:
        """JWKS when a URL is configured; otherwise the public key file (created in development)."""
        common: dict[str, Any] = {
            "issuer": settings.jwt_issuer,
            "audience": settings.jwt_audience,
            "leeway_seconds": settings.jwt_leeway_seconds,
        }
        if settings.jwt_jwks_url:
            cache = JwksCache(settings.jwt_jwks_url, cache_seconds=settings.jwt_jwks_cache_seconds)
            return cls(jwks=cache, **common)
        if not settings.is_production:
            ensure_dev_keys(settings)
        return cls(public_key=load_public_key(settings.jwt_public_key_file), **common)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise Unauthenticated(
                "malformed token: expected a JWT (three base64url parts separated by dots)"
            ) from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm.lower() == "none":
            raise Unauthenticated("unsigned tokens (alg 'none') are refused: send a signed token")
        if algorithm not in ACCEPTED_ALGORITHMS:
            raise Unauthenticated(
                f"token algorithm {algorithm[:16]!r} is refused: tokens must be signed with "
                "RS256 or ES256"
            )
        key, key_algorithm = await self._key_for(header)
        if algorithm != key_algorithm:
            raise Unauthenticated(
                f"token algorithm {algorithm} does not match its signing key ({key_algorithm})"
            )
        claims = self._decode(token, key, algorithm)
        return self._principal(claims)

    async def _key_for(self, header: Mapping[str, Any]) -> tuple[Any, str]:
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Unauthenticated("malformed token: its key id (kid) is not a string")
        if self._jwks is not None:
            jwk = await self._jwks.key(kid)
            return jwk.key, jwk.algorithm_name
        assert self._public_algorithm is not None
        if kid is not None and kid != self._public_kid:
            raise Unauthenticated(
                f"token signed with key id {kid[:64]!r}, not the trusted key "
                f"({self._public_kid}): obtain a new token (the development key may have been "
                "regenerated)"
            )
        return self._public_key, self._public_algorithm

    def _decode(self, token: str, key: Any, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired: obtain a new one") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(
                f"wrong audience: the token is for {self._unverified(token, 'aud')}, this service "
                f"accepts {self.audience!r}; obtain a token for {self.audience!r}"
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(
                f"wrong issuer: the token was issued by {self._unverified(token, 'iss')}, this "
                f"service trusts {self.issuer!r}; obtain a token from {self.issuer!r}"
            ) from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated(
                f"token lacks the required claim {error.claim!r}: obtain a token that carries "
                f"{', '.join(REQUIRED_CLAIMS)}"
            ) from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated(
                "token not valid yet (its iat/nbf lies in the future): check the clocks of the "
                "issuer and this host"
            ) from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated(
                "bad token signature: it was not signed by the trusted key; obtain a new token"
            ) from None
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"invalid token ({error}): obtain a new one") from None
        return claims

    @staticmethod
    def _unverified(token: str, claim: str) -> str:
        # Only for error messages; truncated because the value is the caller's, not ours.
        try:
            value = jwt.decode(token, options={"verify_signature": False}).get(claim)
        except jwt.PyJWTError:
            return "an unreadable value"
        return repr(value)[:80]

    @staticmethod
    def _principal(claims: dict[str, Any]) -> Principal:
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated("token claim 'sub' must be a non-empty string")
        names = claims["roles"]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise Unauthenticated("token claim 'roles' must be a list of role names")
        # Roles this platform does not know (another application's) are ignored, not refused.
        roles = frozenset(Role(name) for name in names if name in _ROLE_NAMES)
        name = claims.get("name")
        return Principal(
            subject=subject,
            roles=roles,
            name=name if isinstance(name, str) else None,
            claims=claims,
        )
