"""The delivery log of a registration, and sending a delivery that was given up again."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query

from campus_service import ConflictError, NotFoundError
from campus_service.deps import PoolDep
from campus_service.pagination import decode_int_cursor
from campus_service.routing import CampusRoute

from ... import registrations
from ..gates import webhook_of_the_ministry
from ..models import DeliveryOut, DeliveryState

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["deliveries"])
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=64)]


def delivery_out(row: asyncpg.Record) -> DeliveryOut:
    return DeliveryOut(
        event_id=row["event_id"],
        type=row["type"],
        state=row["state"],
        attempts=row["attempts"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        last_attempt_at=row["last_attempt_at"],
        next_attempt_at=row["next_attempt_at"],
        queued_at=row["scheduled_at"],
        delivered_at=row["delivered_at"],
    )


def _decode_cursor(cursor: str | None) -> int | None:
    return decode_int_cursor(cursor, "s:") if cursor else None


@router.get("/webhooks/{webhook_id}/deliveries", dependencies=[webhook_of_the_ministry()])
async def list_deliveries(
    webhook_id: UUID,
    pool: PoolDep,
    state: DeliveryState | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Newest first: each event queued for this endpoint, its attempts, last answer and next try."""
    rows = await registrations.deliveries(
        pool, webhook_id, state=state, before=_decode_cursor(cursor), limit=limit + 1
    )
    items = [delivery_out(r) for r in rows[:limit]]
    more = len(rows) > limit
    next_cursor = base64.urlsafe_b64encode(f"s:{rows[limit - 1]['seq']}".encode()).decode() if more else None
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/webhooks/{webhook_id}/deliveries/{event_id}",
    response_model=DeliveryOut,
    dependencies=[webhook_of_the_ministry()],
)
async def get_delivery(webhook_id: UUID, event_id: UUID, pool: PoolDep) -> DeliveryOut:
    row = await registrations.delivery(pool, webhook_id, event_id)
    if row is None:
        raise NotFoundError(f"event {event_id} was not queued for this webhook")
    return delivery_out(row)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{event_id}/retry",
    response_model=DeliveryOut,
    dependencies=[webhook_of_the_ministry()],
)
async def retry_delivery(webhook_id: UUID, event_id: UUID, pool: PoolDep) -> DeliveryOut:
    """Queue a `failed` delivery again (409 otherwise), with a fresh allowance of attempts."""
    if not await registrations.retry_delivery(pool, webhook_id, event_id):
        row = await registrations.delivery(pool, webhook_id, event_id)
        if row is None:
            raise NotFoundError(f"event {event_id} was not queued for this webhook")
        raise ConflictError(f"only a failed delivery can be retried; this one is {row['state']}")
    row = await registrations.delivery(pool, webhook_id, event_id)
    assert row is not None
    return delivery_out(row)
