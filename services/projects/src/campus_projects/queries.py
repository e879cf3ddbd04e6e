"""Reads of the projection tables (the API's lists and the design's reference checks)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import asyncpg

REFERABLE_COURSE_STATUSES = ("proposed", "published")


async def known_course_ids(conn: asyncpg.Connection, ids: Iterable[UUID]) -> set[UUID]:
    wanted = list(ids)
    if not wanted:
        return set()
    rows = await conn.fetch(
        "SELECT course_id FROM known_courses WHERE course_id = ANY($1::uuid[]) AND status = ANY($2::text[])",
        wanted,
        list(REFERABLE_COURSE_STATUSES),
    )
    return {r["course_id"] for r in rows}


async def known_trainer_ids(conn: asyncpg.Connection, ids: Iterable[UUID]) -> set[UUID]:
    wanted = list(ids)
    if not wanted:
        return set()
    rows = await conn.fetch(
        "SELECT trainer_id FROM known_trainers WHERE trainer_id = ANY($1::uuid[]) AND active", wanted
    )
    return {r["trainer_id"] for r in rows}


def _filters(stage: str | None, ministry: str | None, cursor: UUID | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for column, value in (("p.stage", stage), ("p.ministry", ministry)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if cursor is not None:
        args.append(cursor)
        clauses.append(f"p.project_id < ${len(args)}")  # newest first: project ids are UUIDv7
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


async def project_docs(
    conn: asyncpg.Connection, *, stage: str | None, ministry: str | None, cursor: UUID | None, limit: int
) -> list[dict[str, Any]]:
    where, args = _filters(stage, ministry, cursor)
    rows = await conn.fetch(
        f"SELECT p.doc FROM projects p{where} ORDER BY p.project_id DESC LIMIT {int(limit)}", *args
    )
    return [r["doc"] for r in rows]


async def project_doc(conn: asyncpg.Connection, project_id: UUID) -> dict[str, Any] | None:
    return await conn.fetchval("SELECT doc FROM projects WHERE project_id = $1", project_id)  # type: ignore[no-any-return]


async def pipeline_items(
    conn: asyncpg.Connection, *, stage: str | None, ministry: str | None, cursor: UUID | None, limit: int
) -> list[asyncpg.Record]:
    where, args = _filters(stage, ministry, cursor)
    # Each project's latest funding request is its funding status.
    return await conn.fetch(  # type: ignore[no-any-return]
        f"""SELECT p.project_id, p.ministry, p.title, p.stage, p.stage_entered_at,
                   GREATEST(0, EXTRACT(EPOCH FROM now() - p.stage_entered_at))::bigint AS seconds_in_stage,
                   f.request_id, f.envelope_id, f.status, f.requested_cents, f.granted_cents,
                   f.disbursed_cents, f.released_cents
            FROM projects p
            LEFT JOIN LATERAL (
                SELECT * FROM project_funding pf WHERE pf.project_id = p.project_id
                ORDER BY pf.requested_at DESC NULLS LAST LIMIT 1
            ) f ON true
            {where}
            ORDER BY p.project_id DESC LIMIT {int(limit)}""",
        *args,
    )


async def stage_counts(
    conn: asyncpg.Connection, *, stage: str | None, ministry: str | None
) -> list[asyncpg.Record]:
    where, args = _filters(stage, ministry, None)
    return await conn.fetch(  # type: ignore[no-any-return]
        f"SELECT p.stage, p.ministry, count(*) AS count FROM projects p{where}"
        " GROUP BY p.stage, p.ministry ORDER BY p.ministry, p.stage",
        *args,
    )
