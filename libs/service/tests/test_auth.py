"""JWT verification: every way a token can be wrong ends in Unauthenticated with its own message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pmo_events.errors import Forbidden, InvalidInput, Unauthenticated
from pmo_service.auth import JwtVerifier, bearer_token
from pmo_service.devkeys import ensure_dev_keys, issue_dev_token, key_id, load_public_key
from pmo_service.jwks import JwksCache
from pmo_service.principal import Principal, Role, require_roles
from pmo_service.settings import ServiceSettings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _private_key(settings: ServiceSettings) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(
        settings.jwt_private_key_file.read_bytes(), password=None
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "pmo-dev",
        "aud": "pmo",
        "sub": "alice",
        "iat": now,
        "exp": now + 300,
        "roles": ["pmo"],
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


@pytest.fixture
def settings(make_settings: Callable[..., ServiceSettings]) -> ServiceSettings:
    return make_settings()


@pytest.fixture
def verifier(settings: ServiceSettings) -> JwtVerifier:
    return JwtVerifier.from_settings(settings)


@pytest.fixture
def sign(settings: ServiceSettings) -> Callable[..., str]:
    """Sign claims with the trusted development key (as an honest issuer would)."""

    def signed(claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(claims, _private_key(settings), algorithm="RS256", headers=headers)

    return signed


async def refused(verifier: JwtVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    assert caught.value.code == "UNAUTHENTICATED"
    return caught.value.message


async def test_valid_development_token(settings: ServiceSettings, verifier: JwtVerifier) -> None:
    token = issue_dev_token(settings, "alice", ["pmo", "viewer"], 60, name="Alice")
    principal = await verifier.verify(token)
    assert principal.subject == "alice"
    assert principal.roles == {Role.PMO, Role.VIEWER}
    assert principal.name == "Alice"
    assert principal.claims["iss"] == "pmo-dev"


async def test_unknown_roles_are_ignored(verifier: JwtVerifier, sign: Callable[..., str]) -> None:
    principal = await verifier.verify(sign(_claims(roles=["viewer", "superuser"])))
    assert principal.roles == {Role.VIEWER}


def test_missing_or_malformed_authorization_header() -> None:
    with pytest.raises(Unauthenticated, match="missing Authorization header"):
        bearer_token(None)
    with pytest.raises(Unauthenticated, match="must be `Bearer <token>`"):
        bearer_token("Basic dXNlcjpwYXNz")
    assert bearer_token("bearer abc.def.ghi ") == "abc.def.ghi"


async def test_expired(verifier: JwtVerifier, sign: Callable[..., str]) -> None:
    past = int(time.time()) - 3600
    message = await refused(verifier, sign(_claims(iat=past - 60, exp=past)))
    assert message == "token expired: obtain a new one"


async def test_expiry_within_leeway_is_accepted(
    verifier: JwtVerifier, sign: Callable[..., str]
) -> None:
    now = int(time.time())
    principal = await verifier.verify(sign(_claims(iat=now - 60, exp=now - 5)))
    assert principal.subject == "alice"


async def test_wrong_issuer(verifier: JwtVerifier, sign: Callable[..., str]) -> None:
    message = await refused(verifier, sign(_claims(iss="evil-idp")))
    assert message.startswith("wrong issuer")
    assert "'evil-idp'" in message
    assert "'pmo-dev'" in message


async def test_wrong_audience(verifier: JwtVerifier, sign: Callable[..., str]) -> None:
    message = await refused(verifier, sign(_claims(aud="billing")))
    assert message.startswith("wrong audience")
    assert "'billing'" in message
    assert "'pmo'" in message


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "roles"])
async def test_missing_required_claim(
    verifier: JwtVerifier, sign: Callable[..., str], claim: str
) -> None:
    message = await refused(verifier, sign(_claims(**{claim: None})))
    assert f"lacks the required claim {claim!r}" in message


async def test_roles_must_be_a_list(verifier: JwtVerifier, sign: Callable[..., str]) -> None:
    message = await refused(verifier, sign(_claims(roles="admin")))
    assert "'roles' must be a list" in message


async def test_future_token_is_not_valid_yet(
    verifier: JwtVerifier, sign: Callable[..., str]
) -> None:
    future = int(time.time()) + 3600
    message = await refused(verifier, sign(_claims(iat=future, exp=future + 300)))
    assert "not valid yet" in message


async def test_bad_signature(verifier: JwtVerifier) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(), stranger, algorithm="RS256")
    message = await refused(verifier, token)
    assert message.startswith("bad token signature")


async def test_tampered_payload(verifier: JwtVerifier, sign: Callable[..., str]) -> None:
    header, _, signature = sign(_claims(roles=["viewer"])).split(".")
    forged_payload = _b64(json.dumps(_claims(roles=["admin"])).encode())
    message = await refused(verifier, f"{header}.{forged_payload}.{signature}")
    assert message.startswith("bad token signature")


async def test_alg_none_is_refused(verifier: JwtVerifier) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(roles=["admin"])).encode())
    message = await refused(verifier, f"{header}.{payload}.")
    assert "alg 'none'" in message


async def test_hs256_signed_with_the_public_key_is_refused(
    settings: ServiceSettings, verifier: JwtVerifier
) -> None:
    # Algorithm confusion: the attacker knows the public key and uses it as an HMAC secret.
    secret = settings.jwt_public_key_file.read_bytes()
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(roles=["admin"])).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    message = await refused(verifier, f"{header}.{payload}.{_b64(signature)}")
    assert "'HS256' is refused" in message


async def test_es256_header_on_rsa_key_is_refused(verifier: JwtVerifier) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(_claims(), ec_key, algorithm="ES256")
    message = await refused(verifier, token)
    assert "does not match its signing key" in message


async def test_garbage_is_malformed(verifier: JwtVerifier) -> None:
    assert (await refused(verifier, "not-a-jwt")).startswith("malformed token")


async def test_kid_of_another_key_is_refused(
    verifier: JwtVerifier, sign: Callable[..., str]
) -> None:
    message = await refused(verifier, sign(_claims(), kid="old-dev-key"))
    assert "'old-dev-key'" in message
    assert "obtain a new token" in message


def test_dev_keys_are_created_once_with_a_private_private_key(
    make_settings: Callable[..., ServiceSettings], tmp_path: Path
) -> None:
    settings = make_settings(
        jwt_private_key_file=tmp_path / "k" / "private.pem",
        jwt_public_key_file=tmp_path / "k" / "public.pem",
    )
    assert ensure_dev_keys(settings) is True
    first = settings.jwt_public_key_file.read_bytes()
    assert ensure_dev_keys(settings) is False
    assert settings.jwt_public_key_file.read_bytes() == first
    mode = stat.S_IMODE(os.stat(settings.jwt_private_key_file).st_mode)
    assert mode == 0o600


def test_dev_token_carries_the_key_id_and_refuses_unknown_roles(
    settings: ServiceSettings,
) -> None:
    token = issue_dev_token(settings, "alice", ["coach"], 60)
    assert jwt.get_unverified_header(token)["kid"] == key_id(
        load_public_key(settings.jwt_public_key_file)
    )
    with pytest.raises(InvalidInput, match="unknown role 'wizard'"):
        issue_dev_token(settings, "alice", ["wizard"], 60)


def test_require_roles() -> None:
    viewer = Principal(subject="v", roles=frozenset({Role.VIEWER}))
    admin = Principal(subject="a", roles=frozenset({Role.ADMIN}))
    require_roles(viewer, Role.VIEWER, Role.PMO)
    require_roles(admin, Role.PMO)  # admin may do everything
    with pytest.raises(Forbidden) as caught:
        require_roles(viewer, "pmo", "portfolio_manager")
    assert "pmo, portfolio_manager" in caught.value.message
    assert "viewer" in caught.value.message


# --- JWKS (production mode) ---------------------------------------------------------------


class JwksServer:
    """A real HTTP server publishing a mutable JWKS document, counting its requests."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish(self, *keys: tuple[str, Any]) -> None:
        jwks = []
        for kid, private_key in keys:
            algorithm = RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else ECAlgorithm
            jwk = algorithm.to_jwk(private_key.public_key(), as_dict=True)
            jwks.append({**jwk, "kid": kid, "use": "sig"})
        self.document = {"keys": jwks}


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _jwks_verifier(url: str) -> JwtVerifier:
    cache = JwksCache(url, cache_seconds=300, min_refresh_seconds=0)
    return JwtVerifier(issuer="https://idp.example", audience="pmo", jwks=cache)


async def test_jwks_verifies_rs256_and_es256_and_caches(jwks_server: JwksServer) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks_server.publish(("rsa-1", rsa_key), ("ec-1", ec_key))
    verifier = _jwks_verifier(jwks_server.url)
    claims = _claims(iss="https://idp.example", roles=["coach"])
    by_rsa = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    by_ec = jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert (await verifier.verify(by_rsa)).roles == {Role.COACH}
    assert (await verifier.verify(by_ec)).subject == "alice"
    assert jwks_server.requests == 1  # one fetch served both keys


async def test_jwks_unknown_kid_is_refused_after_one_refetch(jwks_server: JwksServer) -> None:
    known = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks_server.publish(("k1", known))
    verifier = _jwks_verifier(jwks_server.url)
    claims = _claims(iss="https://idp.example")
    token = jwt.encode(claims, known, algorithm="RS256", headers={"kid": "nobody-knows"})
    message = await refused(verifier, token)
    assert "unknown key id 'nobody-knows'" in message
    assert jwks_server.url in message
    assert jwks_server.requests == 2  # the initial fetch, then one refresh looking for the kid


async def test_jwks_key_rotation_is_picked_up(jwks_server: JwksServer) -> None:
    old = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    new = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks_server.publish(("old", old))
    verifier = _jwks_verifier(jwks_server.url)
    claims = _claims(iss="https://idp.example")
    await verifier.verify(jwt.encode(claims, old, algorithm="RS256", headers={"kid": "old"}))
    jwks_server.publish(("old", old), ("new", new))
    rotated = jwt.encode(claims, new, algorithm="RS256", headers={"kid": "new"})
    assert (await verifier.verify(rotated)).subject == "alice"


async def test_jwks_unreachable_is_unauthenticated(closed_port: Callable[[], int]) -> None:
    verifier = _jwks_verifier(f"http://127.0.0.1:{closed_port()}/jwks.json")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(iss="https://idp.example"), key, algorithm="RS256")
    message = await refused(verifier, token)
    assert message.startswith("cannot fetch the issuer's signing keys")
