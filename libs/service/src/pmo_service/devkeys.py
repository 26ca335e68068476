"""The development signing key pair and development tokens.

In development every process of the platform (services, gateway, the ``token`` command) trusts one
RSA key pair under ``.local/dev-jwt/``. It is created on first use; a file lock keeps two processes
starting at once from writing two different pairs.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from pmo_events.errors import Forbidden

from pmo_service.principal import parse_roles
from pmo_service.settings import BaseAppSettings

VerifyingKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class KeyFileError(Exception):
    """A key file is missing or unusable; the message says which file and what to do."""


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, mode)  # the umask may have narrowed or widened os.open's mode
    temporary.replace(path)


def ensure_dev_keys(settings: BaseAppSettings) -> bool:
    """Create the development key pair if either file is missing. Returns True if it created one.

    The private key is written with mode 0600. Refused in production, where keys come from the
    identity provider.
    """
    private_path = settings.jwt_private_key_file
    public_path = settings.jwt_public_key_file
    if private_path.is_file() and public_path.is_file():
        return False
    if settings.is_production:
        raise KeyFileError(
            f"no key at {public_path}: production never generates keys; configure the identity "
            "provider's JWKS URL or a public key file"
        )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(private_path.parent):
        if private_path.is_file() and public_path.is_file():
            return False  # another process created them while we waited for the lock
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # Public first: a reader that finds the private key can rely on the public one existing.
        _write_atomic(public_path, public_pem, 0o644)
        _write_atomic(private_path, private_pem, 0o600)
    return True


def load_public_key(path: Path) -> VerifyingKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(
            f"no public key at {path}: in development run the service once (it creates the "
            "development key pair) or point the JWT_PUBLIC_KEY_FILE setting at a PEM file"
        ) from None
    key: PublicKeyTypes = serialization.load_pem_public_key(data)
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return key
    raise KeyFileError(f"{path} holds a {type(key).__name__}; use an RSA or P-256 EC public key")


def algorithm_for(key: VerifyingKey) -> str:
    """The one JWS algorithm a key may verify: RS256 for RSA, ES256 for P-256 EC keys."""
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise KeyFileError(f"EC curve {key.curve.name} is not accepted; use P-256 (ES256)")


def key_id(key: VerifyingKey) -> str:
    """A stable id for a public key (SHA-256 of its DER form), put in the token's ``kid``."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha256(der).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def issue_dev_token(
    settings: BaseAppSettings,
    subject: str,
    roles: Iterable[str],
    ttl_seconds: int = 3600,
    *,
    name: str | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A token signed with the development private key. Refused in production.

    ``roles`` must be known role names (``Role``); an unknown one raises ``InvalidInput``.
    """
    if settings.is_production:
        raise Forbidden(
            "development tokens are refused in production: obtain a token from the identity "
            "provider"
        )
    ensure_dev_keys(settings)
    private_key = serialization.load_pem_private_key(
        settings.jwt_private_key_file.read_bytes(), password=None
    )
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise KeyFileError(f"{settings.jwt_private_key_file} is not an RSA private key")
    now = int(time.time())
    claims: dict[str, Any] = {
        **(extra_claims or {}),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
        "roles": sorted(role.value for role in parse_roles(roles)),
    }
    if name is not None:
        claims["name"] = name
    headers = {"kid": key_id(private_key.public_key())}
    return jwt.encode(claims, private_key, algorithm="RS256", headers=headers)
