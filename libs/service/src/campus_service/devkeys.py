"""Development keys and tokens: an ES256 key pair in a folder, and tokens signed with it.

>>> private_pem, public_pem = generate_keypair()
>>> token = mint_token(private_pem, sub=uuid.uuid4(), roles=["agent"], ministry="dinum")

Never used in production: there the gateway signs tokens and services only hold the public key.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

DEV_ISSUER = "campus-dev"
DEV_AUDIENCE = "campus"


def generate_keypair() -> tuple[str, str]:
    """A fresh P-256 key pair as ``(private_pem, public_pem)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def ensure_keypair(folder: Path | str) -> tuple[str, str]:
    """``private.pem`` and ``public.pem`` of ``folder``, generated there first if absent."""
    folder = Path(folder)
    private, public = folder / "private.pem", folder / "public.pem"
    if not (private.is_file() and public.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_keypair()
        tmp = folder / f".private.{os.getpid()}.tmp"
        tmp.write_text(private_pem)
        tmp.chmod(0o600)
        public.write_text(public_pem)
        tmp.replace(private)  # last, so a reader never sees a private key without its public one
    return private.read_text(), public.read_text()


ensure_dev_keys = ensure_keypair


def mint_token(
    private_pem: str | bytes,
    *,
    sub: uuid.UUID | str,
    roles: Iterable[str] = (),
    ministry: str | None = None,
    email: str | None = None,
    given_name: str | None = None,
    usual_name: str | None = None,
    ttl: timedelta | float = timedelta(hours=12),
    issuer: str = DEV_ISSUER,
    audience: str = DEV_AUDIENCE,
    kid: str | None = None,
    **extra: Any,
) -> str:
    """A signed JWT with the Campus claims (ES256 for an EC key, RS256 for an RSA key).

    ``ttl`` is a ``timedelta`` or a number of seconds (negative: an expired token, for tests).
    """
    pem = private_pem.encode() if isinstance(private_pem, str) else private_pem
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("a development key must be an EC (ES256) or RSA (RS256) key")
    if not isinstance(ttl, timedelta):
        ttl = timedelta(seconds=ttl)
    algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(sub),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now - timedelta(seconds=5),
        "exp": now + ttl,
        "roles": list(roles),
        **extra,
    }
    for name, value in (
        ("ministry", ministry),
        ("email", email),
        ("given_name", given_name),
        ("usual_name", usual_name),
    ):
        if value is not None:
            claims[name] = value
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def public_jwk(public_pem: str, kid: str) -> dict[str, Any]:
    """The public key as a JWK (for a JWKS document)."""
    key = serialization.load_pem_public_key(public_pem.encode())
    if isinstance(key, ec.EllipticCurvePublicKey):
        jwk: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True)
        jwk["alg"] = "ES256"
    elif isinstance(key, rsa.RSAPublicKey):
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)
        jwk["alg"] = "RS256"
    else:
        raise ValueError("the public key must be an EC or RSA key")
    return {**jwk, "kid": kid, "use": "sig"}
