"""Keyset pagination over a projection's ``seq`` column: ``?limit=`` and an opaque ``?cursor=``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from campus_service import UnprocessableError

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (default 50, max 500).")]
Cursor = Annotated[str | None, Query(max_length=40, description="`next_cursor` of the previous page.")]


def after(cursor: str | None) -> int:
    """The ``seq`` a page starts after."""
    if cursor is None:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:  # "³".isdigit() is True
        raise UnprocessableError(
            "cursor is not one this service gave",
            errors=[{"field": "cursor", "reason": "unknown cursor", "in": "query"}],
        )
    return int(cursor)


def next_cursor(rows: list, limit: int) -> str | None:  # type: ignore[type-arg]
    """A cursor when the page is full (fetch ``limit + 1`` rows to know)."""
    return str(rows[limit - 1]["seq"]) if len(rows) > limit else None
