"""Envelopes: opened by the funding committee; their totals and ledger read from projections."""

from __future__ import annotations

import uuid
from uuid import UUID

from fastapi import APIRouter, Response

from campus_service import NotFoundError, require_roles, run_command
from campus_service.deps import CommandDep, PoolDep, StoreDep
from campus_service.routing import CampusRoute

from ... import handlers
from ...domain.commands import OpenEnvelope
from ..errors import mapped
from ..models import EnvelopeIn, EnvelopeListOut, EnvelopeOut, LedgerEntryOut, LedgerOut
from ..pages import Cursor, Limit, after, next_cursor

router = APIRouter(route_class=CampusRoute, prefix="/v1/envelopes", tags=["envelopes"])
COMMITTEE = require_roles("funding_committee")
READERS = require_roles("manager", "funding_committee")


@router.post("", status_code=201, response_model=EnvelopeOut, dependencies=[COMMITTEE])
async def open_envelope(body: EnvelopeIn, ctx: CommandDep, store: StoreDep) -> Response:
    """Open an envelope (one per campaign) with its rules → `EnvelopeOpened`."""
    command = OpenEnvelope(actor_id=ctx.principal.sub, envelope_id=uuid.uuid4(), **body.model_dump())
    return await run_command(ctx, store, lambda: mapped(lambda: handlers.open_envelope(store, ctx, command)))


@router.get("", response_model=EnvelopeListOut, dependencies=[READERS])
async def list_envelopes(pool: PoolDep, limit: Limit = 50, cursor: Cursor = None) -> EnvelopeListOut:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM funding_envelopes WHERE seq > $1 ORDER BY seq LIMIT $2", after(cursor), limit + 1
        )
    return EnvelopeListOut(
        items=[EnvelopeOut.of_row(r) for r in rows[:limit]], next_cursor=next_cursor(rows, limit)
    )


@router.get("/{envelope_id}", response_model=EnvelopeOut, dependencies=[READERS])
async def get_envelope(envelope_id: UUID, pool: PoolDep) -> EnvelopeOut:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM funding_envelopes WHERE envelope_id = $1", envelope_id)
    if row is None:
        raise NotFoundError(f"envelope {envelope_id} does not exist")
    return EnvelopeOut.of_row(row)


@router.get("/{envelope_id}/ledger", response_model=LedgerOut, dependencies=[COMMITTEE])
async def get_ledger(envelope_id: UUID, pool: PoolDep, limit: Limit = 50, cursor: Cursor = None) -> LedgerOut:
    """Every movement on the envelope, in order, with its event id; totals over the whole ledger."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        if not await conn.fetchval("SELECT true FROM funding_envelopes WHERE envelope_id = $1", envelope_id):
            raise NotFoundError(f"envelope {envelope_id} does not exist")
        rows = await conn.fetch(
            "SELECT * FROM funding_ledger WHERE envelope_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            envelope_id,
            after(cursor),
            limit + 1,
        )
        totals = await conn.fetchrow(
            "SELECT coalesce(sum(CASE kind WHEN 'reserved' THEN amount_cents WHEN 'released'"
            " THEN -amount_cents ELSE 0 END), 0) AS reserved,"
            " coalesce(sum(amount_cents) FILTER (WHERE kind = 'disbursed'), 0) AS disbursed"
            " FROM funding_ledger WHERE envelope_id = $1",
            envelope_id,
        )
    return LedgerOut(
        envelope_id=envelope_id,
        items=[LedgerEntryOut(**{k: r[k] for k in LedgerEntryOut.model_fields}) for r in rows[:limit]],
        next_cursor=next_cursor(rows, limit),
        reserved_cents=totals["reserved"],
        disbursed_cents=totals["disbursed"],
    )
