"""List cursors: what the services' offset and sequence cursors share."""

from __future__ import annotations

import base64

from .errors import UnprocessableError

BIGINT_MAX = 2**63 - 1


def fits_bigint(n: int) -> bool:
    """An offset or sequence PostgreSQL can take: beyond a bigint, a forged cursor was a 500 from
    the driver."""
    return 0 <= n <= BIGINT_MAX


def decode_int_cursor(cursor: str, prefix: str) -> int:
    """The number of a cursor this service gave (base64 of ``prefix`` and digits); a 422 otherwise."""
    try:
        n = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix(prefix))
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise UnprocessableError("invalid cursor") from None
    if not fits_bigint(n):
        raise UnprocessableError("invalid cursor")
    return n
