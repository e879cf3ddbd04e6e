"""Event store write throughput: Campus vs the eventsourcing library vs raw INSERT commits.

All contenders run against one durable (fsync on) PostgreSQL server, each in its own fresh database,
with ``--writers`` concurrent writers appending one event per commit for ``--seconds`` after a warm-up.
The contenders take turns for ``--rounds`` rounds and each one's median rate is reported: a
checkpoint or a neighbour's burst on this shared machine then weighs on one round, not on one
contender's only figure.

    .venv/bin/python bench/store.py [--seconds 6] [--rounds 3] [--writers 8] [--warmup 1.5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import statistics
import sys
import uuid
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from common import (
    PAYLOAD,
    create_database,
    embedded_postgres,
    machine,
    run_tasks,
    run_threads,
    server_settings,
)
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from campus_devstack.servers import EmbeddedPostgres
from campus_events.envelope import Actor, Envelope
from campus_events.migrate import kernel_migrations, migrate
from campus_events.store.postgres import PostgresEventStore, create_pool
from campus_service.settings import ServiceSettings

CAMPUS_NEW = "campus: new stream per event (expected 0)"
CAMPUS_SEQ = "campus: own stream, expected version"
EVENTSOURCING = f"eventsourcing {version('eventsourcing')} PostgresApplicationRecorder"
RAW = "raw asyncpg INSERT (autocommit)"
TARGET_VS_ES, TARGET_VS_RAW = 5.0, 0.60
ACTOR = Actor(id=uuid.uuid4(), role="campus_staff")


def envelope(stream: str, n: int) -> Envelope:
    return Envelope(
        type="CourseRevised",
        context="catalog",
        aggregate="course",
        stream=stream,
        actor=ACTOR,
        data={"n": n, **PAYLOAD},
    )


async def bench_campus(url: str, args: argparse.Namespace, *, sequential: bool) -> tuple[int, float]:
    # The store's own pool, as a service runs it (campus_service.runtime): generic plans, and a
    # few connections, since concurrent single-event appends share a statement.
    pool = await create_pool(
        url, min_size=1, max_size=ServiceSettings().store_pool_max_size, generic_plans=True
    )
    try:
        async with pool.acquire() as conn:
            await migrate(conn, kernel_migrations())
        store = PostgresEventStore(pool)
        streams = [f"course-{uuid.uuid4()}" for _ in range(args.writers)]
        versions = [0] * args.writers

        async def own_stream(w: int, i: int) -> None:
            stream = streams[w]
            result = await store.append([envelope(stream, i)], {stream: versions[w]})
            versions[w] = result.versions[stream]

        async def new_stream(w: int, i: int) -> None:
            stream = f"course-{uuid.uuid4()}"
            await store.append([envelope(stream, i)], {stream: 0})

        op = own_stream if sequential else new_stream
        return await run_tasks(op, args.writers, args.warmup, args.seconds)
    finally:
        await pool.close()


def bench_eventsourcing(server: EmbeddedPostgres, dbname: str, args: argparse.Namespace) -> tuple[int, float]:
    # Library defaults (enable_db_functions=False): each insert is a transaction that takes
    # LOCK TABLE ... IN EXCLUSIVE MODE, so that notification ids are committed in order.
    datastore = PostgresDatastore(
        dbname=dbname,
        host="127.0.0.1",
        port=server.port,
        user="postgres",
        password="",
        pool_size=args.writers,
    )
    try:
        recorder = PostgresApplicationRecorder(datastore)
        recorder.create_table()
        topic = "campus.catalog:CourseRevised"

        def op(w: int, i: int) -> None:
            state = json.dumps({"n": i, **PAYLOAD}, separators=(",", ":")).encode()
            recorder.insert_events([StoredEvent(uuid.uuid4(), 1, topic, state)])

        return run_threads(op, args.writers, args.warmup, args.seconds)
    finally:
        datastore.close()


async def bench_raw(url: str, args: argparse.Namespace) -> tuple[int, float]:
    pool = await create_pool(url, min_size=args.writers, max_size=args.writers)
    try:
        await pool.execute(
            "CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream text, version int, data jsonb)"
        )
        streams = [f"course-{uuid.uuid4()}" for _ in range(args.writers)]

        async def op(w: int, i: int) -> None:
            await pool.execute(
                "INSERT INTO raw_events (stream, version, data) VALUES ($1, $2, $3)",
                streams[w],
                i + 1,
                {"n": i, **PAYLOAD},
            )

        return await run_tasks(op, args.writers, args.warmup, args.seconds)
    finally:
        await pool.close()


def run_all(
    server: EmbeddedPostgres, args: argparse.Namespace, log: Callable[[str], None]
) -> list[dict[str, Any]]:
    rounds: dict[str, list[tuple[int, float]]] = {
        name: [] for name in (RAW, EVENTSOURCING, CAMPUS_NEW, CAMPUS_SEQ)
    }

    def record(name: str, outcome: tuple[int, float]) -> None:
        events, seconds = outcome
        rounds[name].append(outcome)
        log(f"  {name}: {events / seconds:,.0f} events/s")

    def fresh(dbname: str) -> str:
        return asyncio.run(create_database(server, dbname))

    for n in range(args.rounds):
        log(f" round {n + 1} of {args.rounds}")
        record(RAW, asyncio.run(bench_raw(fresh(f"bench_raw_{n}"), args)))
        fresh(f"bench_eventsourcing_{n}")
        record(EVENTSOURCING, bench_eventsourcing(server, f"bench_eventsourcing_{n}", args))
        record(CAMPUS_NEW, asyncio.run(bench_campus(fresh(f"bench_campus_new_{n}"), args, sequential=False)))
        record(CAMPUS_SEQ, asyncio.run(bench_campus(fresh(f"bench_campus_seq_{n}"), args, sequential=True)))
    rows: list[dict[str, Any]] = []
    for name, outcomes in rounds.items():
        rates = sorted(events / seconds for events, seconds in outcomes)
        rows.append(
            {
                "contender": name,
                "events": sum(events for events, _ in outcomes),
                "seconds": round(sum(seconds for _, seconds in outcomes), 3),
                "rate": statistics.median(rates),
                "rounds": [round(rate, 1) for rate in rates],
            }
        )
    by_name = {r["contender"]: r["rate"] for r in rows}
    for r in rows:
        r["rate"] = round(r["rate"], 1)
        r["vs_eventsourcing"] = (
            round(r["rate"] / by_name[EVENTSOURCING], 3) if by_name[EVENTSOURCING] else None
        )
        r["vs_raw"] = round(r["rate"] / by_name[RAW], 3) if by_name[RAW] else None
    return rows


def checks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if r["contender"] in (CAMPUS_NEW, CAMPUS_SEQ):
            es, raw = r["vs_eventsourcing"] or 0.0, r["vs_raw"] or 0.0
            out.append(
                {
                    "contender": r["contender"],
                    "vs_eventsourcing": es,
                    "vs_eventsourcing_pass": es >= TARGET_VS_ES,
                    "vs_raw": raw,
                    "vs_raw_pass": raw >= TARGET_VS_RAW,
                }
            )
    return out


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"command: {report['command']}",
        f"machine: nproc={m['nproc']}  python {m['python']}  PostgreSQL {m['postgresql']}  {m['platform']}",
        f"server:  {'  '.join(f'{k}={v}' for k, v in m['pg_settings'].items())}",
        f"setup:   {report['writers']} writers, 1 event per commit, {report['warmup']} s warm-up, "
        f"{report['seconds']} s measured per contender and round, {report['rounds']} interleaved rounds",
        "",
        f"{'contender':<52} {'median/s':>10} {'vs es':>8} {'vs raw':>8}   rounds (events/s)",
        "-" * 110,
    ]
    for r in report["results"]:
        es = f"{r['vs_eventsourcing']:.2f}x" if r["vs_eventsourcing"] is not None else "n/a"
        raw = f"{r['vs_raw'] * 100:.0f}%" if r["vs_raw"] is not None else "n/a"
        each = " ".join(f"{rate:,.0f}" for rate in r["rounds"])
        lines.append(f"{r['contender']:<52} {r['rate']:>10,.0f} {es:>8} {raw:>8}   {each}")

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "BELOW"

    summary = " | ".join(
        f"{c['contender'].removeprefix('campus: ')}: "
        f">={TARGET_VS_ES:.0f}x eventsourcing {verdict(c['vs_eventsourcing_pass'])} "
        f"({c['vs_eventsourcing']:.2f}x), "
        f">={TARGET_VS_RAW:.0%} of raw {verdict(c['vs_raw_pass'])} ({c['vs_raw']:.0%})"
        for c in report["checks"]
    )
    lines += ["", f"targets: {summary}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per contender and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers")
    parser.add_argument("--warmup", type=float, default=1.5, help="warm-up seconds (not counted)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout (the table goes to stderr)")
    args = parser.parse_args()
    out = sys.stderr if args.json else sys.stdout

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with embedded_postgres(durable=True) as server:
        settings = asyncio.run(server_settings(server))
        log(f"PostgreSQL {settings['server_version']} on port {server.port}; running contenders...")
        results = run_all(server, args, log)
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else "python"
    report = {
        "command": shlex.join([python, *sys.argv]),
        "machine": machine(settings),
        "writers": args.writers,
        "warmup": args.warmup,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "results": results,
        "checks": checks(results),
    }
    print(render(report), file=out, flush=True)
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
