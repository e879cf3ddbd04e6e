"""Read-side queries over the projections: the catalogue search with its facets, one course, lists."""

from __future__ import annotations

import base64
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from campus_service.pagination import fits_bigint

COURSE_COLUMNS = (
    "catalog_courses.course_id AS id, status, version, proposed_by, title, kind, summary, modality, themes, objectives,"
    " duration, duration_minutes, pace, sub_themes, audiences, organizers, registration_url, language"
)
FACETS = {  # facet name → SQL over the filtered rows ``f`` (arrays are unnested)
    "theme": "unnest(f.themes)",
    "sub_theme": "unnest(f.sub_themes)",
    "kind": "unnest(ARRAY[f.kind])",
    "modality": "unnest(ARRAY[f.modality])",
    "audience": "unnest(f.audiences)",
    "organizer": "unnest(f.organizers)",
}


@dataclass(frozen=True)
class CourseFilters:
    q: str | None = None
    theme: str | None = None
    sub_theme: str | None = None
    kind: str | None = None
    modality: str | None = None
    audience: str | None = None
    organizer: str | None = None
    statuses: tuple[str, ...] = ("published",)

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters (``$1`` is always the statuses)."""
        params: list[Any] = [list(self.statuses)]
        clauses = ["c.status = ANY($1::text[])"]
        for column, value in (("themes", self.theme), ("sub_themes", self.sub_theme),
                              ("audiences", self.audience), ("organizers", self.organizer)):  # fmt: skip
            if value is not None:
                params.append([value])
                clauses.append(f"c.{column} @> ${len(params)}::text[]")
        for column, value in (("kind", self.kind), ("modality", self.modality)):
            if value is not None:
                params.append(value)
                clauses.append(f"c.{column} = ${len(params)}")
        if self.q:
            params.append(self.q)
            clauses.append(f"c.search @@ websearch_to_tsquery('campus_fr', ${len(params)})")
        return " AND ".join(clauses), params


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = int(json.loads(base64.urlsafe_b64decode(padded))["o"])
    except (ValueError, KeyError, TypeError):
        raise ValueError("invalid cursor") from None
    if not fits_bigint(offset):
        raise ValueError("invalid cursor")
    return offset


def search_sql(filters: CourseFilters, limit: int, offset: int) -> tuple[str, list[Any]]:
    """One statement: the page (ranked when ``q`` is given), the total and the facets of the filtered set.

    The filtered set keeps only what ordering and facets need (rank computed once per row); the
    page's full rows are fetched by key afterwards, for at most ``limit`` courses.
    """
    where, params = filters.where()
    rank = f"ts_rank(c.search, websearch_to_tsquery('campus_fr', ${len(params)}))" if filters.q else "0"
    params += [limit, offset]
    facets = " UNION ALL ".join(
        f"SELECT '{name}' AS facet, v AS value, count(*) AS n FROM f, {expr} AS v GROUP BY v"
        for name, expr in FACETS.items()
    )
    sql = f"""
        WITH f AS MATERIALIZED (
            SELECT c.course_id, c.title, c.kind, c.modality, c.themes, c.sub_themes, c.audiences, c.organizers,
                   {rank} AS rank
            FROM catalog_courses c WHERE {where}),
        keys AS (SELECT course_id, rank AS k_rank, title AS k_title FROM f
                 ORDER BY rank DESC, title, course_id LIMIT ${len(params) - 1} OFFSET ${len(params)}),
        page AS (SELECT {COURSE_COLUMNS} FROM catalog_courses JOIN keys k USING (course_id)
                 ORDER BY k.k_rank DESC, k.k_title, k.course_id),
        facets AS ({facets})
        SELECT (SELECT coalesce(json_agg(page), '[]') FROM page) AS items,
               (SELECT count(*) FROM f) AS total,
               (SELECT coalesce(json_agg(facets), '[]') FROM facets) AS facets
    """
    return sql, params


async def search_courses(
    pool: asyncpg.Pool, filters: CourseFilters, limit: int, offset: int
) -> dict[str, Any]:
    sql, params = search_sql(filters, limit, offset)
    row = await pool.fetchrow(sql, *params)
    items = _json(row["items"])
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for entry in _json(row["facets"]):
        facets[entry["facet"]][entry["value"]] = entry["n"]
    facets = {
        name: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) for name, counts in facets.items()
    }
    total = row["total"]
    next_cursor = encode_cursor(offset + limit) if offset + limit < total else None
    return {"items": items, "total": total, "facets": facets, "next_cursor": next_cursor}


# What the catalogue's read model looks like now: the projection's checkpoint row changes with
# every batch it applies, and when `campus replay` swaps in a rebuilt copy.
CATALOGUE_VERSION = (
    "SELECT stream_seq::text || '@' || updated_at::text FROM consumer_checkpoints"
    " WHERE consumer = 'catalog-read-models'"
)


class SearchCache:
    """Search answers of this process, each kept with the catalogue version it was computed at.

    A search reads the version first (a primary-key lookup, at most every ``version_ttl`` seconds
    per process) and serves the stored answer while the version is unchanged: the same question is
    not asked of PostgreSQL again until the projection has applied something. Read before the
    search, the version can only be older than the data the answer holds, so a stored answer is
    never older than the version it is filed under; a search lags the projection by at most
    ``version_ttl`` (the projection itself lags the commands: the catalogue is eventually
    consistent either way).
    """

    def __init__(self, size: int = 256, version_ttl: float = 0.1) -> None:
        self.size = size
        self.version_ttl = version_ttl
        self.entries: OrderedDict[Hashable, tuple[str | None, bytes]] = OrderedDict()
        self.hits = self.misses = 0
        self._version: tuple[float, str | None] = (-1.0, None)  # (read at, version)

    async def version(self, pool: asyncpg.Pool) -> str | None:
        read_at, version = self._version
        now = time.monotonic()
        if now - read_at >= self.version_ttl:
            version = await pool.fetchval(CATALOGUE_VERSION)
            self._version = (now, version)
        return version

    async def answer(
        self, pool: asyncpg.Pool, key: Hashable, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        version = await self.version(pool)
        stored = self.entries.get(key)
        if stored is not None and version is not None and stored[0] == version:
            self.entries.move_to_end(key)
            self.hits += 1
            return stored[1]
        self.misses += 1
        body = await compute()
        self.entries[key] = (version, body)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return body


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def get_course(pool: asyncpg.Pool, course_id: UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT {COURSE_COLUMNS} FROM catalog_courses WHERE course_id = $1", course_id)
    if row is None:
        return None
    course = dict(row)
    course["sessions"] = [
        _session(r)
        for r in await pool.fetch(
            "SELECT * FROM catalog_sessions WHERE course_id = $1 AND status = 'scheduled' AND ends_at > now()"
            " ORDER BY starts_at",
            course_id,
        )
    ]
    return course


def _session(row: asyncpg.Record) -> dict[str, Any]:
    session = dict(row)
    session["id"] = session.pop("session_id")
    return session


async def get_session(pool: asyncpg.Pool, session_id: UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM catalog_sessions WHERE session_id = $1", session_id)
    return None if row is None else _session(row)


async def list_paths(pool: asyncpg.Pool, statuses: list[str], limit: int, offset: int) -> dict[str, Any]:
    rows = await pool.fetch(
        "SELECT path_id AS id, status, title, summary, course_ids, target_job, reconversion, themes"
        " FROM catalog_paths WHERE status = ANY($1::text[]) ORDER BY defined_at, path_id LIMIT $2 OFFSET $3",
        statuses, limit + 1, offset,
    )  # fmt: skip
    items = [dict(r) for r in rows[:limit]]
    return {"items": items, "next_cursor": encode_cursor(offset + limit) if len(rows) > limit else None}


async def get_path(pool: asyncpg.Pool, path_id: UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        "SELECT path_id AS id, status, title, summary, course_ids, target_job, reconversion, themes"
        " FROM catalog_paths WHERE path_id = $1",
        path_id,
    )
    return None if row is None else dict(row)


async def theme_counts(pool: asyncpg.Pool) -> tuple[dict[str, int], dict[str, int]]:
    """Published courses per theme and per sub-theme."""
    rows = await pool.fetch(
        "SELECT 't' AS k, v, count(*) AS n FROM catalog_courses, unnest(themes) v WHERE status = 'published' GROUP BY v"
        " UNION ALL SELECT 's', v, count(*) FROM catalog_courses, unnest(sub_themes) v"
        " WHERE status = 'published' GROUP BY v"
    )
    themes = {r["v"]: r["n"] for r in rows if r["k"] == "t"}
    subs = {r["v"]: r["n"] for r in rows if r["k"] == "s"}
    return themes, subs


async def published_courses(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT {COURSE_COLUMNS} FROM catalog_courses WHERE status = 'published' ORDER BY title, course_id"
    )
    return rows
