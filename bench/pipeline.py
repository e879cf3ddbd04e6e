"""Relay and projection throughput, each beside raw nats-py on the same NATS server, in one run.

* relay: N events already committed in the outbox -> published to JetStream by ``OutboxRelay``,
  vs raw ``js.publish_async`` of the same N CloudEvents payloads with the same number in flight,
  taking turns for ``--rounds`` rounds (medians). Target: >= 70 % of raw.
* projection: N messages in a stream -> applied by ``ProjectionConsumer`` (an INSERT per event
  into a projection table, checkpoint per batch, ack after commit), vs raw pull (fetch 500) and
  ack of the same N messages. Target: >= 50 % of raw. Two rows: ``projection`` with
  ``apply`` (a round trip per event, as most of the services' projections do) and
  ``projection (batch)`` with ``apply_batch`` (one ``executemany`` per fetched batch).
* replay memory: the peak RSS growth while the consumer applies N events (it must not grow
  with N: a second run with --events 10x shows it).

    .venv/bin/python bench/pipeline.py --events 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import create_database, embedded_postgres, machine, server_settings

from campus_devstack.servers import EmbeddedNats, free_port
from campus_events import bus
from campus_events.consumer import Projection, ProjectionConsumer
from campus_events.contracts.catalog import CourseArchived
from campus_events.envelope import envelope_for
from campus_events.migrate import kernel_migrations, migrate
from campus_events.outbox import OutboxRelay
from campus_events.store.postgres import PostgresEventStore, create_pool
from campus_events.streams import ensure_streams
from campus_service.logging import configure_logging

IN_FLIGHT = 512


def events(n: int):
    return [envelope_for(CourseArchived(course_id=uuid.uuid4()), uuid.uuid4()) for _ in range(n)]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def count_stream(nc, stream: str) -> int:
    return (await nc.jetstream().stream_info(stream)).state.messages


async def bench_raw_publish(nc, batch) -> float:
    js = nc.jetstream(publish_async_max_pending=IN_FLIGHT)
    payloads = [(e.subject, e.to_json(), {"Nats-Msg-Id": str(e.id)}) for e in batch]
    start = time.perf_counter()
    for subject, data, headers in payloads:
        await js.publish_async(subject, data, headers=headers)
    await js.publish_async_completed()
    return time.perf_counter() - start


async def bench_relay(url: str, nc, batch) -> float:
    pool = await create_pool(url, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn, kernel_migrations())
    store = PostgresEventStore(pool)
    for i in range(0, len(batch), 500):  # commit everything first: we time the relay alone
        chunk = batch[i : i + 500]
        await store.append(chunk, {e.stream: 0 for e in chunk})
    before = await count_stream(nc, "CAMPUS_CATALOG")
    relay = OutboxRelay(url, nc, batch_size=IN_FLIGHT)
    start = time.perf_counter()
    task = asyncio.create_task(relay.run())
    while relay.stats.published < len(batch):
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - start
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await count_stream(nc, "CAMPUS_CATALOG") - before == len(batch)
    await pool.close()
    return elapsed


async def bench_raw_pull(nc, n: int) -> float:
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        "campus.catalog.>", durable=f"raw-{uuid.uuid4().hex[:6]}", stream="CAMPUS_CATALOG"
    )
    got = 0
    start = time.perf_counter()
    while got < n:
        for msg in await sub.fetch(500, timeout=5):
            await msg.ack()
            got += 1
    elapsed = time.perf_counter() - start
    await sub.unsubscribe()
    return elapsed


async def bench_projection(url: str, nc, n: int, *, batch: bool) -> tuple[float, float]:
    pool = await create_pool(url, max_size=2)
    async with pool.acquire() as conn:
        await migrate(conn, kernel_migrations())
        await conn.execute("CREATE TABLE archived (course_id uuid PRIMARY KEY, at timestamptz NOT NULL)")
    insert = "INSERT INTO archived VALUES ($1, $2) ON CONFLICT DO NOTHING"

    async def apply(conn, envelope) -> None:
        await conn.execute(insert, envelope.data["course_id"], envelope.occurred_at)

    async def apply_batch(conn, envelopes) -> None:
        await conn.executemany(insert, [(e.data["course_id"], e.occurred_at) for e in envelopes])

    projection = Projection(
        f"bench-{uuid.uuid4().hex[:6]}",
        "CAMPUS_CATALOG",
        ("campus.catalog.>",),
        apply,
        apply_batch=apply_batch if batch else None,
    )
    consumer = ProjectionConsumer(url, nc, projection, batch_size=500)
    rss_before = rss_mb()
    start = time.perf_counter()
    task = asyncio.create_task(consumer.run())
    while consumer.stats.applied < n:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - start
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    applied = await consumer_rows(url)
    assert applied == n, f"{applied} rows for {n} events"
    await pool.close()
    return elapsed, rss_mb() - rss_before


async def consumer_rows(url: str) -> int:
    pool = await create_pool(url, max_size=1)
    try:
        return int(await pool.fetchval("SELECT count(*) FROM archived"))
    finally:
        await pool.close()


async def run(args: argparse.Namespace) -> dict:
    n = args.events
    with embedded_postgres(durable=True) as pg, tempfile.TemporaryDirectory() as tmp:
        nats_server = EmbeddedNats(Path(tmp) / "nats", free_port())
        nats_server.start()
        try:
            nc = await bus.connect(nats_server.url, name="bench")
            await ensure_streams(nc.jetstream(), ("catalog",))
            raw_pubs, relays = [], []
            for r in range(args.rounds):  # taking turns: a burst on the machine weighs on one round
                raw_pubs.append(await bench_raw_publish(nc, events(n)))
                relays.append(await bench_relay(await create_database(pg, f"relay{r}"), nc, events(n)))
            raw_pub, relay = statistics.median(raw_pubs), statistics.median(relays)
            total = await count_stream(nc, "CAMPUS_CATALOG")
            raw_pull = await bench_raw_pull(nc, total)
            projection, rss_growth = await bench_projection(
                await create_database(pg, "proj"), nc, total, batch=False
            )
            batched, _ = await bench_projection(await create_database(pg, "batch"), nc, total, batch=True)
            await nc.close()
            settings = await server_settings(pg)
        finally:
            nats_server.stop()
    return {
        "command": " ".join(sys.argv),
        "machine": machine(settings),
        "events": n,
        "applied": total,
        "relay": {
            "events_per_s": n / relay,
            "raw_events_per_s": n / raw_pub,
            "ratio": raw_pub / relay,
            "target": 0.7,
            "rounds": [round(n / t) for t in relays],
            "raw_rounds": [round(n / t) for t in raw_pubs],
        },
        "projection": {
            "events_per_s": total / projection,
            "raw_events_per_s": total / raw_pull,
            "ratio": raw_pull / projection,
            "target": 0.5,
            "rss_growth_mb": rss_growth,
        },
        "projection (batch)": {
            "events_per_s": total / batched,
            "raw_events_per_s": total / raw_pull,
            "ratio": raw_pull / batched,
            "target": 0.5,
        },
    }


def render(report: dict) -> str:
    lines = [f"command: {report['command']}", f"machine: {json.dumps(report['machine'])}", ""]
    lines.append(f"{'path':<20}{'campus ev/s':>14}{'raw nats ev/s':>16}{'ratio':>8}{'target':>8}  verdict")
    for key in ("relay", "projection", "projection (batch)"):
        r = report[key]
        verdict = "PASS" if r["ratio"] >= r["target"] else "BELOW"
        lines.append(
            f"{key:<20}{r['events_per_s']:>14,.0f}{r['raw_events_per_s']:>16,.0f}{r['ratio']:>8.0%}{r['target']:>8.0%}  {verdict}"
        )
    relay = report["relay"]
    lines.append(
        f"relay: medians of {len(relay['rounds'])} interleaved rounds of {report['events']:,} events; campus "
        f"{' '.join(f'{r:,}' for r in relay['rounds'])}, raw {' '.join(f'{r:,}' for r in relay['raw_rounds'])} ev/s"
    )
    lines.append(
        f"projection of {report['applied']:,} events: peak RSS growth {report['projection']['rss_growth_mb']:.1f} MB"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3, help="relay vs raw rounds (medians are reported)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configure_logging(level="WARNING")  # not a line per batch in the results
    report = asyncio.run(run(args))
    print(json.dumps(report, indent=2) if args.json else render(report))


if __name__ == "__main__":
    main()
