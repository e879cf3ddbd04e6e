"""``?limit=`` and ``?cursor=``: an opaque cursor over a stable order (here, an offset)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Query

from campus_service import UnprocessableError

Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=64)]


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("o:"))
    except ValueError:
        raise UnprocessableError("invalid cursor") from None
    if not 0 <= offset < 2**63:  # beyond a bigint OFFSET: forged, and a 500 from the driver
        raise UnprocessableError("invalid cursor")
    return offset


def next_cursor(offset: int, limit: int, fetched: int) -> str | None:
    """``fetched`` is the number of rows read with ``limit + 1``: more than ``limit`` means a next page."""
    if fetched <= limit:
        return None
    return base64.urlsafe_b64encode(f"o:{offset + limit}".encode()).decode()
