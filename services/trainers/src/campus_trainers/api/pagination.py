"""``?limit=`` and ``?cursor=``: an opaque cursor over a stable order (here, an offset)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Query

from campus_service.pagination import decode_int_cursor

Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=64)]


def decode_cursor(cursor: str | None) -> int:
    return decode_int_cursor(cursor, "o:") if cursor else 0


def next_cursor(offset: int, limit: int, fetched: int) -> str | None:
    """``fetched`` is the number of rows read with ``limit + 1``: more than ``limit`` means a next page."""
    if fetched <= limit:
        return None
    return base64.urlsafe_b64encode(f"o:{offset + limit}".encode()).decode()
