"""``GET /v1/audit``: who changed what, read from the service's own event store (newest first).

Every state change is an event whose envelope records the actor's pseudonymous id and role, the
correlation id and the ministry scope: the audit trail is a query over the ``events`` table, not
a second log that could disagree with it. Admins and the Campus staff see every event; a manager
sees the events scoped to their own ministry (not the public ones nor another ministry's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from .auth import Principal, Scope, authorize
from .deps import PoolDep, PrincipalDep
from .errors import ForbiddenError
from .roles import ADMIN, CAMPUS_STAFF, MANAGER
from .routing import CampusRoute

AUDIT_ROLES = (ADMIN, CAMPUS_STAFF, MANAGER)
AUDIT_SCOPE = Scope(
    "token-ministry",
    "admin and campus_staff see every event; a manager only the events scoped to their token's ministry",
    exempt=(ADMIN, CAMPUS_STAFF),
    decided="handler",
)


class AuditEntryOut(BaseModel):
    position: int = Field(description="The event's position in this service's store (the cursor).")
    event_id: UUID
    time: datetime = Field(description="When the change happened (the event's occurrence time).")
    type: str = Field(description="The event type, e.g. `FundingApproved`.")
    schema_version: int
    stream: str = Field(description="The aggregate's stream: `<aggregate>-<id>`.")
    aggregate: str
    aggregate_id: str
    stream_version: int
    actor_id: UUID | None = Field(description="The pseudonymous id of who did it (`null`: the system).")
    actor_role: str = Field(description="The role they acted in (`system` for reactions).")
    correlation_id: UUID | None
    causation_id: UUID | None
    ministry: str = Field(description="The event's scope: a ministry code or `public`.")


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


def audit_router() -> APIRouter:
    router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["audit"])

    @router.get(
        "/audit", response_model=AuditPageOut, dependencies=[authorize(*AUDIT_ROLES, scope=AUDIT_SCOPE)]
    )
    async def audit(
        principal: PrincipalDep,
        pool: PoolDep,
        stream: Annotated[str | None, Query(max_length=200, description="One aggregate's stream.")] = None,
        actor: Annotated[UUID | None, Query(description="Changes made by this pseudonymous id.")] = None,
        type: Annotated[
            str | None, Query(max_length=100, pattern=r"^[A-Za-z]+$", description="An event type.")
        ] = None,
        since: Annotated[datetime | None, Query(description="Changes at or after this time.")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    ) -> AuditPageOut:
        """State changes, newest first, from this service's event store; filters combine."""
        ministry = audit_ministry(principal)
        rows = await pool.fetch(
            "SELECT position, event_id, occurred_at, type, schema_version, stream, aggregate, version,"
            " actor_id, actor_role, correlation_id, causation_id, ministry FROM events"
            " WHERE ($1::bigint IS NULL OR position < $1) AND ($2::text IS NULL OR stream = $2)"
            " AND ($3::uuid IS NULL OR actor_id = $3) AND ($4::text IS NULL OR type = $4)"
            " AND ($5::timestamptz IS NULL OR occurred_at >= $5) AND ($6::text IS NULL OR ministry = $6)"
            " ORDER BY position DESC LIMIT $7",
            int(cursor) if cursor else None,
            stream,
            actor,
            type,
            since,
            ministry,
            limit + 1,
        )
        items = [_entry(r) for r in rows[:limit]]
        return AuditPageOut(items=items, next_cursor=str(items[-1].position) if len(rows) > limit else None)

    return router


def audit_ministry(principal: Principal) -> str | None:
    """The ministry a caller's audit is limited to (``None``: every scope)."""
    if principal.has_role(ADMIN, CAMPUS_STAFF):
        return None
    if principal.ministry is None:
        raise ForbiddenError("a manager's token must name a ministry to read its audit trail")
    return principal.ministry


def _entry(row: Any) -> AuditEntryOut:
    return AuditEntryOut(
        position=row["position"],
        event_id=row["event_id"],
        time=row["occurred_at"],
        type=row["type"],
        schema_version=row["schema_version"],
        stream=row["stream"],
        aggregate=row["aggregate"],
        aggregate_id=row["stream"].split("-", 1)[1],
        stream_version=row["version"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        ministry=row["ministry"],
    )
