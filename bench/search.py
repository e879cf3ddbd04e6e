"""Catalogue search latency: the catalog service's search statement over 10,000 courses.

A fresh embedded PostgreSQL, the catalog's migrations, 10,000 published courses inserted straight
into ``catalog_courses`` (generated from the seed catalogue's vocabulary), then for several ``q``
with and without filters: the service's exact statement (ranked page + total + facets, one query)
timed ``--runs`` times, beside an anchor — a plain ``ILIKE '%term%'`` scan of the same table.

    .venv/bin/python bench/search.py [--courses 10000] [--runs 60] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from common import create_database, embedded_postgres, machine, server_settings

from campus_catalog.queries import CourseFilters, search_sql
from campus_catalog.seed_data import COURSES
from campus_events.migrate import folder_migrations, migrate

MIGRATIONS = Path(__file__).resolve().parents[1] / "services/catalog/src/campus_catalog/migrations"
CASES = [  # (label, q, filters, ILIKE term of the anchor)
    ("q=securite", "securite", {}, "sécurité"),
    ("q=donnees", "donnees", {}, "données"),
    ("q=intelligence artificielle", "intelligence artificielle", {}, "intelligence artificielle"),
    (
        "q=cloud theme+modality",
        "cloud",
        {"theme": "technologie-infrastructures", "modality": "online"},
        "cloud",
    ),
    ("q=donnees theme=data kind", "donnees", {"theme": "data", "kind": "formation"}, "données"),
    ("no q, theme=cybersecurite", None, {"theme": "cybersecurite"}, None),
]
WORDS = " ".join(c["title"] + " " + c["summary"] for c in COURSES).replace(",", " ").split()


def fake_courses(n: int, rng: random.Random) -> list[tuple[object, ...]]:
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        base = COURSES[i % len(COURSES)]
        title = f"{base['title']} {' '.join(rng.sample(WORDS, 3))}"
        summary = f"{base['summary']} {' '.join(rng.sample(WORDS, 25))}"
        objectives = [" ".join(rng.sample(WORDS, 6)) for _ in range(2)]
        rows.append((
            uuid.uuid4(), 2, "published", title, base["kind"], summary, base["modality"], base["themes"],
            objectives, "\n".join(objectives), base.get("sub_themes", []), base.get("audiences", []),
            base.get("organizers", []), uuid.uuid4(), now, now,
        ))  # fmt: skip
    return rows


COLUMNS = [
    "course_id", "version", "status", "title", "kind", "summary", "modality", "themes", "objectives",
    "objectives_text", "sub_themes", "audiences", "organizers", "proposed_by", "proposed_at", "updated_at",
]  # fmt: skip


async def timed(conn: asyncpg.Connection, sql: str, params: list[object], runs: int) -> list[float]:
    await conn.fetch(sql, *params)  # warm the plan and the cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await conn.fetch(sql, *params)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def anchor_sql(term: str | None, filters: dict[str, str]) -> tuple[str, list[object]]:
    clauses, params = ["status = 'published'"], []
    if term:
        params.append(f"%{term}%")
        clauses.append("(title ILIKE $1 OR summary ILIKE $1 OR objectives_text ILIKE $1)")
    for key, value in filters.items():
        params.append([value] if key == "theme" else value)
        column = {"theme": "themes", "kind": "kind", "modality": "modality"}[key]
        op = "@>" if key == "theme" else "="
        clauses.append(f"{column} {op} ${len(params)}{'::text[]' if key == 'theme' else ''}")
    return (
        f"SELECT course_id, title FROM catalog_courses WHERE {' AND '.join(clauses)} ORDER BY title LIMIT 50",
        params,
    )


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    with embedded_postgres(durable=False) as server:
        url = await create_database(server, "bench_search")
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn, folder_migrations(MIGRATIONS, "catalog"))
            await conn.copy_records_to_table(
                "catalog_courses", records=fake_courses(args.courses, random.Random(7)), columns=COLUMNS
            )
            await conn.execute("ANALYZE catalog_courses")
            results = []
            for label, q, filters, term in CASES:
                sql, params = search_sql(CourseFilters(q=q, **filters), 50, 0)
                total = (await conn.fetchrow(sql, *params))["total"]
                search = summary(await timed(conn, sql, params, args.runs))
                a_sql, a_params = anchor_sql(term, filters)
                anchor = summary(await timed(conn, a_sql, a_params, args.runs))
                ratio = round(anchor["median_ms"] / search["median_ms"], 2) if search["median_ms"] else None
                results.append({"case": label, "matches": total, "search": search, "ilike_anchor": anchor,
                                "anchor_over_search": ratio})  # fmt: skip
            return {"courses": args.courses, "runs": args.runs, "machine": machine(await server_settings(server)),
                    "results": results}  # fmt: skip
        finally:
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    out = sys.stderr if args.json else sys.stdout
    print(
        f"{report['courses']} courses, {report['runs']} runs each; search = page + total + facets in one query",
        file=out,
    )
    print(
        f"{'case':34} {'matches':>7} {'search med/p95 ms':>19} {'ILIKE med/p95 ms':>18} {'ILIKE/search':>12}",
        file=out,
    )
    for r in report["results"]:  # type: ignore[union-attr]
        s, a = r["search"], r["ilike_anchor"]
        print(f"{r['case']:34} {r['matches']:>7} {s['median_ms']:>9.2f}/{s['p95_ms']:<9.2f}"
              f" {a['median_ms']:>8.2f}/{a['p95_ms']:<9.2f} {r['anchor_over_search']:>8}", file=out)  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
