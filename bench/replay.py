"""Replay: a projection consumer applies N events from JetStream; its speed and its memory on the way.

N ``CourseArchived`` events are published to ``CAMPUS_CATALOG`` first (raw nats-py, 512 in flight,
generated chunk by chunk so the benchmark itself holds none of them), then a ``ProjectionConsumer``
(the projection of bench/pipeline.py: one INSERT per event, the checkpoint per batch, acks after
commit; durable PostgreSQL) replays them from the start. This process's resident memory is sampled
every 50 ms; reported at 25/50/75/100 % of the events applied (current and peak), beside the
baseline before the replay. Memory must stay flat: it must not grow with the number of events.

    .venv/bin/python bench/replay.py --events 1000000     # the full replay (state its time)
    .venv/bin/python bench/replay.py                       # 200,000 events: make bench
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from common import create_database, embedded_postgres, server_settings
from harness import machine_info

from campus_devstack.servers import EmbeddedNats, free_port
from campus_events import bus
from campus_events.consumer import Projection, ProjectionConsumer
from campus_events.contracts.catalog import CourseArchived
from campus_events.envelope import envelope_for
from campus_events.migrate import kernel_migrations, migrate
from campus_events.store.postgres import create_pool
from campus_events.streams import ensure_streams
from campus_service.logging import configure_logging

IN_FLIGHT, CHUNK = 512, 10_000
FLAT_MB = 25.0  # growth from 25 % to 100 % of the replay above this is not flat


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def publish(nc: Any, n: int) -> float:
    js = nc.jetstream(publish_async_max_pending=IN_FLIGHT)
    start = time.perf_counter()
    for offset in range(0, n, CHUNK):
        for _ in range(min(CHUNK, n - offset)):
            e = envelope_for(CourseArchived(course_id=uuid.uuid4()), uuid.uuid4())
            await js.publish_async(e.subject, e.to_json(), headers={"Nats-Msg-Id": str(e.id)})
        await js.publish_async_completed()
    return time.perf_counter() - start


async def replay(url: str, nc: Any, n: int) -> dict[str, Any]:
    pool = await create_pool(url, max_size=2)
    async with pool.acquire() as conn:
        await migrate(conn, kernel_migrations())
        await conn.execute("CREATE TABLE archived (course_id uuid PRIMARY KEY, at timestamptz NOT NULL)")

    async def apply(conn: Any, envelope: Any) -> None:
        await conn.execute(
            "INSERT INTO archived VALUES ($1, $2) ON CONFLICT DO NOTHING",
            envelope.data["course_id"],
            envelope.occurred_at,
        )

    projection = Projection(f"replay-{uuid.uuid4().hex[:6]}", "CAMPUS_CATALOG", ("campus.catalog.>",), apply)
    consumer = ProjectionConsumer(url, nc, projection, batch_size=500)
    gc.collect()
    baseline = rss_mb()
    marks, peak = {}, baseline
    start = time.perf_counter()
    task = asyncio.create_task(consumer.run())
    while consumer.stats.applied < n:
        await asyncio.sleep(0.05)
        current = rss_mb()
        peak = max(peak, current)
        for quarter in (25, 50, 75):
            if quarter not in marks and consumer.stats.applied >= n * quarter / 100:
                marks[quarter] = {"rss_mb": round(current, 1), "peak_mb": round(peak, 1),
                                  "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
        if task.done():
            await task  # the consumer died: say why
    elapsed = time.perf_counter() - start
    current = rss_mb()
    marks[100] = {
        "rss_mb": round(current, 1),
        "peak_mb": round(max(peak, current), 1),
        "seconds": round(elapsed, 1),
    }
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    rows = await pool.fetchval("SELECT count(*) FROM archived")
    await pool.close()
    return {"seconds": round(elapsed, 1), "events_per_s": round(n / elapsed, 1), "baseline_mb": round(baseline, 1),
            "marks": marks, "rows": rows}  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with embedded_postgres(durable=True) as pg, tempfile.TemporaryDirectory() as tmp:
        nats_server = EmbeddedNats(Path(tmp) / "nats", free_port())
        nats_server.start()
        try:
            nc = await bus.connect(nats_server.url, name="bench-replay")
            await ensure_streams(nc.jetstream(), ("catalog",))
            published = await publish(nc, args.events)
            print(f"  published {args.events:,} in {published:.1f} s", file=sys.stderr)
            result = await replay(await create_database(pg, "replay"), nc, args.events)
            await nc.close()
            settings = await server_settings(pg)
        finally:
            nats_server.stop()
    growth = result["marks"][100]["peak_mb"] - result["marks"][25]["rss_mb"]
    return {"events": args.events, "publish_seconds": round(published, 1), "postgresql": settings["server_version"],
            **result, "growth_25_to_100_mb": round(growth, 1), "flat": growth <= FLAT_MB}  # fmt: skip


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"command: {report['command']}",
        f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB; PostgreSQL {report['postgresql']} "
        f"(fsync on); {m.get('nats')}",
        f"replay of {report['events']:,} events (published first in {report['publish_seconds']} s): "
        f"{report['seconds']} s, {report['events_per_s']:,.0f} events/s applied, {report['rows']:,} rows",
        f"RSS of the replaying process: baseline {report['baseline_mb']} MB before the replay",
        f"{'applied':>9}{'after s':>9}{'RSS MB':>9}{'peak MB':>9}",
    ]
    for quarter, mark in sorted(report["marks"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"{quarter:>8}%{mark['seconds']:>9}{mark['rss_mb']:>9}{mark['peak_mb']:>9}")
    lines.append(
        f"memory flat (peak at 100 % - RSS at 25 % <= {FLAT_MB:.0f} MB): "
        f"{'PASS' if report['flat'] else 'FAIL'} ({report['growth_25_to_100_mb']:+.1f} MB)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configure_logging(level="WARNING")  # not a line per batch
    report = asyncio.run(run(args))
    report = {"command": " ".join(["python", *sys.argv]), "machine": machine_info(), **report}
    print(json.dumps(report, indent=2) if args.json else render(report))
    if not (report["flat"] and report["rows"] == args.events):
        sys.exit(1)


if __name__ == "__main__":
    main()
