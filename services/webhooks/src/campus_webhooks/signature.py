"""``Campus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

Stripe-like: the timestamp is signed with the body, so a receiver can refuse a replayed or stale
message (``tolerance``). While a rotated secret overlaps, the header carries one ``v1=`` per
secret (newest first); a receiver accepts the message if any of them matches its secret.

    header = sign(b'{"id": ...}', ["whsec..."])
    verify(b'{"id": ...}', header, "whsec...")   # True, within 5 minutes
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable

HEADER = "Campus-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300.0
MIN_SECRET_LENGTH = 32


def generate_secret() -> str:
    """A new signing secret: ``whsec_`` and 43 URL-safe characters (256 random bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets_: Iterable[str], timestamp: int | None = None) -> str:
    """The header value signing ``body`` with each of ``secrets_`` at ``timestamp`` (now by default)."""
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"{SCHEME}={signature(s, t, body)}" for s in secrets_)])


def parse(header: str) -> tuple[int, list[str]]:
    """``(timestamp, [v1 signatures])``; ``ValueError`` if the header is malformed."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = int(value)
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise ValueError("a Campus-Signature needs t= and at least one v1=")
    return timestamp, candidates


def verify(
    body: bytes,
    header: str,
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``header`` signs exactly ``body`` with ``secret``, made within ``tolerance`` seconds."""
    try:
        timestamp, candidates = parse(header)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    # Compare every candidate (no early exit) in constant time.
    return any([hmac.compare_digest(expected, c) for c in candidates])
