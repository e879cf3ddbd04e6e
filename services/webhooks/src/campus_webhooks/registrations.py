"""Registrations and their delivery logs: this service's own tables (not events).

A registration's URL and secret stay in this database; nothing about them is published.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg

from campus_events.ids import uuid7

COLUMNS = (
    "webhook_id, ministry, url, description, event_types, status, created_by, created_at, updated_at,"
    " secret_rotated_at"
)
DELIVERY_COLUMNS = (
    "d.event_id, e.type, d.seq, d.state, d.attempts, d.last_status, d.last_error, d.last_attempt_at,"
    " CASE WHEN d.state = 'pending' THEN d.next_attempt_at END AS next_attempt_at, d.scheduled_at,"
    " d.delivered_at"
)


async def create(
    pool: asyncpg.Pool,
    *,
    ministry: str,
    url: str,
    description: str,
    event_types: list[str],
    secret: str,
    created_by: UUID,
    idempotency_key: str | None,
    fingerprint: str | None,
) -> tuple[asyncpg.Record, bool]:
    """The new registration and True; or, for a key already used, the first one and False
    (its ``idempotency_fingerprint`` says whether the body was the same)."""
    row = await pool.fetchrow(
        "INSERT INTO webhooks (webhook_id, ministry, url, description, event_types, secret, created_by,"
        " idempotency_key, idempotency_fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        f" ON CONFLICT (idempotency_key) DO NOTHING RETURNING {COLUMNS}, secret, idempotency_fingerprint",
        uuid7(),
        ministry,
        url,
        description,
        event_types,
        secret,
        created_by,
        idempotency_key,
        fingerprint,
    )
    if row is not None:
        return row, True
    first = await pool.fetchrow(
        f"SELECT {COLUMNS}, secret, idempotency_fingerprint FROM webhooks WHERE idempotency_key = $1",
        idempotency_key,
    )
    assert first is not None  # keys are never deleted
    return first, False


async def get(pool: asyncpg.Pool | asyncpg.Connection, webhook_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(f"SELECT {COLUMNS} FROM webhooks WHERE webhook_id = $1", webhook_id)


async def listing(
    pool: asyncpg.Pool, *, ministry: str | None, status: str | None, after: UUID | None, limit: int
) -> list[asyncpg.Record]:
    """In creation order, from just after ``after``."""
    return list(
        await pool.fetch(
            f"SELECT {COLUMNS} FROM webhooks WHERE ($1::text IS NULL OR ministry = $1)"
            " AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR webhook_id > $3)"
            " ORDER BY webhook_id LIMIT $4",
            ministry,
            status,
            after,
            limit,
        )
    )


async def set_status(pool: asyncpg.Pool, webhook_id: UUID, status: str) -> asyncpg.Record | None:
    """Moves a registration that is not deactivated to ``status``; ``None`` if it is deactivated."""
    return await pool.fetchrow(
        "UPDATE webhooks SET status = $2, updated_at = now() WHERE webhook_id = $1"
        f" AND status <> 'deactivated' RETURNING {COLUMNS}",
        webhook_id,
        status,
    )


async def rotate_secret(
    pool: asyncpg.Pool, webhook_id: UUID, secret: str, overlap: timedelta
) -> asyncpg.Record | None:
    """The old secret keeps signing alongside the new one for ``overlap``; ``None`` if deactivated."""
    return await pool.fetchrow(
        "UPDATE webhooks SET previous_secret = secret, previous_secret_until = now() + $3::interval,"
        " secret = $2, secret_rotated_at = now(), updated_at = now()"
        f" WHERE webhook_id = $1 AND status <> 'deactivated' RETURNING {COLUMNS}",
        webhook_id,
        secret,
        overlap,
    )


async def deliveries(
    pool: asyncpg.Pool, webhook_id: UUID, *, state: str | None, before: int | None, limit: int
) -> list[asyncpg.Record]:
    """The delivery log, newest first, from just before ``before`` (a ``seq``)."""
    return list(
        await pool.fetch(
            f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e USING (event_id)"
            " WHERE d.webhook_id = $1 AND ($2::text IS NULL OR d.state = $2)"
            " AND ($3::bigint IS NULL OR d.seq < $3) ORDER BY d.seq DESC LIMIT $4",
            webhook_id,
            state,
            before,
            limit,
        )
    )


async def delivery(pool: asyncpg.Pool, webhook_id: UUID, event_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(
        f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e USING (event_id)"
        " WHERE d.webhook_id = $1 AND d.event_id = $2",
        webhook_id,
        event_id,
    )


async def retry_delivery(pool: asyncpg.Pool, webhook_id: UUID, event_id: UUID) -> bool:
    """Queue a ``failed`` delivery again, with a fresh allowance of attempts and age; False otherwise."""
    status = await pool.execute(
        "UPDATE webhook_deliveries SET state = 'pending', attempts_before_retry = attempts,"
        " scheduled_at = now(), next_attempt_at = now()"
        " WHERE webhook_id = $1 AND event_id = $2 AND state = 'failed'",
        webhook_id,
        event_id,
    )
    if status.endswith(" 1"):
        await pool.execute("SELECT pg_notify('campus_webhooks', '')")
        return True
    return False
