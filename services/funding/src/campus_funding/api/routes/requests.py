"""Funding requests: filed by managers for a project in design, decided by the committee."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from campus_events.contracts.vocab import ProjectStage
from campus_service import ForbiddenError, NotFoundError, ensure_same_ministry, require_roles, run_command
from campus_service.auth import Scope, authorize
from campus_service.deps import CommandDep, PoolDep, PrincipalDep, StoreDep
from campus_service.routing import CampusRoute

from ... import handlers
from ...domain.commands import (
    ApproveFunding,
    DisburseFunding,
    DismissFunding,
    RejectFunding,
    ReleaseFunding,
    RequestCommand,
    RequestFunding,
    StartReview,
)
from ...domain.state import RequestStatus
from ..errors import mapped
from ..models import ApprovalIn, DisbursementIn, FundingRequestIn, MotivationIn, RequestListOut, RequestOut
from ..pages import Cursor, Limit, after, next_cursor

router = APIRouter(route_class=CampusRoute, prefix="/v1/funding-requests", tags=["funding requests"])
COMMITTEE = require_roles("funding_committee")
FILE = authorize("manager", scope=Scope(
    "token-ministry",
    "filed for the ministry in the caller's token, for a project of that ministry",
    other_ministry=403,
    decided="handler",
))  # fmt: skip
LIST = authorize("manager", "funding_committee", scope=Scope(
    "token-ministry",
    "a manager lists their token's ministry's requests only (the others are filtered out)",
    exempt=("funding_committee",),
    decided="handler",
))  # fmt: skip
READ = authorize("manager", "funding_committee", scope=Scope(
    "resource-ministry",
    "the request belongs to the caller's ministry",
    exempt=("funding_committee",),
    other_ministry=403,
    decided="handler",
))  # fmt: skip
# Money moves on a shared envelope: many tries per request rather than a 409 for a mere race.
MONEY_RETRIES = 20


@router.post("", status_code=201, response_model=RequestOut, dependencies=[FILE])
async def request_funding(
    body: FundingRequestIn, ctx: CommandDep, store: StoreDep, pool: PoolDep
) -> Response:
    """Apply for co-funding of a project in `design` → `FundingRequested`."""
    ministry = ctx.principal.ministry
    if ministry is None:
        raise ForbiddenError("a manager's token must name a ministry")
    stage, owner = await handlers.project_stage(pool, body.project_id)
    if owner is not None and owner != ministry:
        raise ForbiddenError("this project belongs to another ministry")
    fields = body.model_dump(exclude={"agents_targeted"})
    command = RequestFunding(
        actor_id=ctx.principal.sub,
        request_id=uuid.uuid4(),
        ministry=ministry,
        agents_targeted=tuple(p.model_dump() for p in body.agents_targeted),
        project_stage=ProjectStage(stage) if stage else None,
        **fields,
    )
    async with project_turn(pool, body.project_id):
        return await run_command(
            ctx, store, lambda: mapped(lambda: handlers.request_funding(store, ctx, command))
        )


@router.get("", response_model=RequestListOut, dependencies=[LIST])
async def list_requests(
    principal: PrincipalDep,
    pool: PoolDep,
    status: Annotated[RequestStatus | None, Query()] = None,
    envelope_id: Annotated[UUID | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> RequestListOut:
    """The committee sees every request; a manager only those of their own ministry."""
    ministry = None if principal.has_role("funding_committee") else principal.ministry or "-"
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM funding_requests WHERE seq > $1 AND ($2::text IS NULL OR status = $2)"
            " AND ($3::uuid IS NULL OR envelope_id = $3) AND ($4::text IS NULL OR ministry = $4)"
            " ORDER BY seq LIMIT $5",
            after(cursor),
            status.value if status else None,
            envelope_id,
            ministry,
            limit + 1,
        )
    return RequestListOut(
        items=[RequestOut.of_row(r) for r in rows[:limit]], next_cursor=next_cursor(rows, limit)
    )


@router.get("/{request_id}", response_model=RequestOut, dependencies=[READ])
async def get_request(request_id: UUID, principal: PrincipalDep, pool: PoolDep) -> RequestOut:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM funding_requests WHERE request_id = $1", request_id)
    if row is None:
        raise NotFoundError(f"funding request {request_id} does not exist")
    if not principal.has_role("funding_committee"):
        ensure_same_ministry(principal, row["ministry"])
    return RequestOut.of_row(row)


@asynccontextmanager
async def envelope_turn(
    request: Request, store: StoreDep, pool: PoolDep, request_id: UUID
) -> AsyncIterator[None]:
    """Serialise this process's reservations per envelope, so concurrent approvals queue rather
    than exhaust their retries; across replicas the expected versions still decide. Then the
    project's turn (``project_turn``): the envelope's lock first, so no two locks wait in a cycle."""
    state, _ = await handlers.load(store, handlers.request_stream(request_id))
    if state.request is None:
        yield
        return
    locks: dict[UUID, asyncio.Lock] | None = getattr(request.app.state, "funding_envelope_locks", None)
    if locks is None:
        locks = request.app.state.funding_envelope_locks = {}
    async with (
        locks.setdefault(state.request.envelope_id, asyncio.Lock()),
        project_turn(pool, state.request.project_id),
    ):
        yield


PROJECT_LOCKS = 0x46554E44  # "FUND": the advisory locks' class for funding's projects


@asynccontextmanager
async def project_turn(pool: PoolDep, project_id: UUID) -> AsyncIterator[None]:
    """One filing or approval at a time per project, across the service's replicas: a
    transaction-scoped advisory lock on a pooled connection, held while the command reads the
    project's requests from the log, decides and appends (released at the end, or if the
    connection goes). Two approvals on two envelopes share no stream: without it both could grant
    the same project (a review saw 7 double grants in 10 concurrent tries)."""
    key = int.from_bytes(project_id.bytes[:4], "big", signed=True)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1::int, $2::int)", PROJECT_LOCKS, key)
        yield


async def _step(ctx: CommandDep, store: StoreDep, command: RequestCommand, *, retries: int = 3) -> Response:
    return await run_command(
        ctx,
        store,
        lambda: mapped(lambda: handlers.decide_on_request(store, ctx, command)),
        retries=retries,
    )


@router.post("/{request_id}/start-review", response_model=RequestOut, dependencies=[COMMITTEE])
async def start_review(request_id: UUID, ctx: CommandDep, store: StoreDep) -> Response:
    """→ `FundingReviewStarted`."""
    return await _step(ctx, store, StartReview(actor_id=ctx.principal.sub, request_id=request_id))


@router.post("/{request_id}/approve", response_model=RequestOut, dependencies=[COMMITTEE])
async def approve(
    request_id: UUID, body: ApprovalIn, request: Request, ctx: CommandDep, store: StoreDep, pool: PoolDep
) -> Response:
    """→ `FundingApproved` + `EnvelopeFundsReserved` in one append; 409 if the envelope lacks the funds."""
    command = ApproveFunding(actor_id=ctx.principal.sub, request_id=request_id, **body.model_dump())
    async with envelope_turn(request, store, pool, request_id):
        return await _step(ctx, store, command, retries=MONEY_RETRIES)


@router.post("/{request_id}/reject", response_model=RequestOut, dependencies=[COMMITTEE])
async def reject(request_id: UUID, body: MotivationIn, ctx: CommandDep, store: StoreDep) -> Response:
    """→ `FundingRejected` (a motivation is required)."""
    return await _step(
        ctx,
        store,
        RejectFunding(actor_id=ctx.principal.sub, request_id=request_id, motivation=body.motivation),
    )


@router.post("/{request_id}/dismiss", response_model=RequestOut, dependencies=[COMMITTEE])
async def dismiss(request_id: UUID, body: MotivationIn, ctx: CommandDep, store: StoreDep) -> Response:
    """→ `FundingDismissed`: closed without follow-up (a motivation is required)."""
    return await _step(
        ctx,
        store,
        DismissFunding(actor_id=ctx.principal.sub, request_id=request_id, motivation=body.motivation),
    )


@router.post(
    "/{request_id}/disbursements", status_code=201, response_model=RequestOut, dependencies=[COMMITTEE]
)
async def disburse(request_id: UUID, body: DisbursementIn, ctx: CommandDep, store: StoreDep) -> Response:
    """Pay out a tranche → `FundingDisbursed` (never above what remains of the grant)."""
    command = DisburseFunding(
        actor_id=ctx.principal.sub, request_id=request_id, amount_cents=body.amount_cents
    )
    return await _step(ctx, store, command)


@router.post("/{request_id}/release", response_model=RequestOut, dependencies=[COMMITTEE])
async def release(
    request_id: UUID, request: Request, ctx: CommandDep, store: StoreDep, pool: PoolDep
) -> Response:
    """Close the request → `FundingReleased` + `EnvelopeFundsReleased` (what was not disbursed)."""
    async with envelope_turn(request, store, pool, request_id):
        return await _step(
            ctx,
            store,
            ReleaseFunding(actor_id=ctx.principal.sub, request_id=request_id),
            retries=MONEY_RETRIES,
        )
