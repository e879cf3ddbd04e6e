"""Hot spot: N concurrent enrolments (distinct agents) on one session of C seats, on the real services.

The catalog and enrollment services run as processes (bench/serve.py, durable PostgreSQL, NATS).
All N connections are opened first, then every ``POST /v1/enrollments`` is sent at once. Reported:
the time until every command was answered (and until the enrollment projection shows them all),
enrolments/s, and the checks — exactly C enrolled and N - C waitlisted, waitlist positions 1..N-C in
the session stream's order (the order the service took the commands in), no 5xx, and the retries
(appends that failed on a stale expected version inside the service, counted by bench/serve.py).

    .venv/bin/python bench/hotspot.py [--agents 2000] [--seats 300] [--runs 3] [--profile DIR] [--json]

``--profile DIR`` samples the enrollment process with py-spy during the burst of the last run and
prints where its time went (DIR/hotspot.pyspy: collapsed stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
from harness import (
    Client,
    Tokens,
    bench_counts,
    bench_stack,
    machine_info,
    median,
    percentile,
    scheduled_session,
    start_pyspy,
    stop_pyspy,
    summarise_profile,
)


async def one_run(stack: Any, args: argparse.Namespace, profile: Path | None) -> dict[str, Any]:
    catalog_port, enrollment = stack.services["catalog"].port, stack.services["enrollment"]
    tokens = Tokens(stack)
    staff, agent = tokens.header("campus_staff"), tokens.header("agent")
    catalog, control = await Client(catalog_port).connect(), await Client(enrollment.port).connect()
    course_id, (session_id,) = await scheduled_session(catalog, control, staff, agent, capacity=args.seats)
    headers = [{"Authorization": tokens.header("agent", ministry="dinum")} for _ in range(args.agents)]
    clients = [Client(enrollment.port) for _ in range(args.agents)]
    for i in range(0, len(clients), 200):  # all connections open before the burst
        await asyncio.gather(*(c.connect() for c in clients[i : i + 200]))
    before = await bench_counts(control)
    body = {"course_id": course_id, "session_id": session_id}
    answers: list[tuple[int, int, dict[str, Any], float]] = []

    async def enrol(i: int) -> None:
        sent = time.perf_counter()
        status, raw = await clients[i].request("POST", "/v1/enrollments", body, headers[i])
        answers.append((i, status, json.loads(raw) if raw else {}, time.perf_counter() - sent))

    spy = None
    if profile is not None:
        spy = start_pyspy(enrollment.process.pid, profile / "hotspot.pyspy")
        await asyncio.sleep(1.0)  # py-spy attached
    start = time.perf_counter()
    await asyncio.gather(*(enrol(i) for i in range(args.agents)))
    commands_settled = time.perf_counter() - start
    if spy is not None:
        stop_pyspy(spy)

    async def projected() -> bool:
        status, raw = await control.request("GET", f"/v1/sessions/{session_id}/seats")
        seats = json.loads(raw)
        return status == 200 and seats["enrolled"] + seats["waitlisted"] == args.agents

    await asyncio_wait(projected, 120)
    projection_settled = time.perf_counter() - start
    after = await bench_counts(control)
    for c in [*clients, catalog, control]:
        await c.close()

    statuses = Counter(status for _, status, _, _ in answers)
    created = [(i, a) for i, status, a, _ in answers if status == 201]
    enrolled = [a for _, a in created if a.get("status") == "enrolled"]
    waitlisted = [a for _, a in created if a.get("status") == "waitlisted"]
    store = await stream_order(stack.database_url("enrollment"), f"session-{session_id}")
    positions = {a["id"]: a["waitlist_position"] for a in waitlisted}
    waitlist_in_stream = [e for e in store if e["type"] == "AgentWaitlisted"]
    in_order = [positions.get(e["enrollment_id"]) for e in waitlist_in_stream] == list(
        range(1, len(waitlist_in_stream) + 1)
    )
    first_seats = [e["type"] for e in store[: args.seats]] == ["AgentEnrolled"] * args.seats
    sent_rank = {a["id"]: i for i, a in created}
    order = [sent_rank[e["enrollment_id"]] for e in store if e["enrollment_id"] in sent_rank]
    latencies = [s * 1000 for _, _, _, s in answers]
    return {
        "agents": args.agents,
        "seats": args.seats,
        "commands_settled_s": round(commands_settled, 3),
        "projection_settled_s": round(projection_settled, 3),
        "enrolments_per_s": round(args.agents / commands_settled, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies), 1),
        },
        "statuses": dict(statuses),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "enrolled": len(enrolled),
        "waitlisted": len(waitlisted),
        "stream_events": len(store),
        "waitlist_positions_in_stream_order": in_order,
        "first_seats_enrolled": first_seats,
        "send_order_vs_stream_order_spearman": round(spearman(order), 3),
        "appends": after["appends"] - before["appends"],
        "retries": after["conflicts"] - before["conflicts"],
        "ok": statuses == Counter({201: args.agents})
        and len(enrolled) == args.seats
        and len(waitlisted) == args.agents - args.seats
        and in_order
        and first_seats
        and len(store) == args.agents,
    }


async def asyncio_wait(check: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the projection did not settle within {within}s")
        await asyncio.sleep(0.05)


async def stream_order(url: str, stream: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT type, data->>'enrollment_id' AS enrollment_id FROM events WHERE stream = $1 ORDER BY version",
            stream,
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


def spearman(ranks: list[int]) -> float:
    """Rank correlation between the order requests were sent and the order the stream holds them."""
    n = len(ranks)
    if n < 2:
        return float("nan")
    by_value = {v: r for r, v in enumerate(sorted(ranks))}
    d2 = sum((i - by_value[v]) ** 2 for i, v in enumerate(ranks))
    return 1 - 6 * d2 / (n * (n * n - 1))


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"command: {report['command']}",
        f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB; PostgreSQL {m.get('postgresql')} "
        f"(fsync on); {m.get('nats')}",
        f"{report['agents']} concurrent POST /v1/enrollments (distinct agents) on one {report['seats']}-seat "
        f"session; {len(report['runs'])} runs, medians:",
        "",
    ]
    runs = report["runs"]

    def med(key: str) -> float:
        return median([r[key] for r in runs])

    lines += [
        f"  all commands answered in   {med('commands_settled_s'):8.2f} s   ({med('enrolments_per_s'):,.0f} enrolments/s)",
        f"  projection settled after   {med('projection_settled_s'):8.2f} s",
        f"  answer latency p50/p99/max {median([r['latency_ms']['p50'] for r in runs]):,.0f} / "
        f"{median([r['latency_ms']['p99'] for r in runs]):,.0f} / {median([r['latency_ms']['max'] for r in runs]):,.0f} ms",
        f"  retries (stale version)    {', '.join(str(r['retries']) for r in runs)} (per run)",
        "",
        f"{'run':>4} {'settled s':>10} {'enrol/s':>8} {'enrolled':>9} {'waitlisted':>11} {'5xx':>4} "
        f"{'retries':>8} {'order ok':>9} {'spearman':>9}  verdict",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(
            f"{i:>4} {r['commands_settled_s']:>10.2f} {r['enrolments_per_s']:>8,.0f} {r['enrolled']:>9} "
            f"{r['waitlisted']:>11} {r['server_errors']:>4} {r['retries']:>8} "
            f"{r['waitlist_positions_in_stream_order']!s:>9} {r['send_order_vs_stream_order_spearman']:>9}  "
            f"{'PASS' if r['ok'] else 'FAIL'}"
        )
    lines.append(
        f"targets: exactly {report['seats']} enrolled, {report['agents'] - report['seats']} waitlisted in order, "
        f"no 5xx: {'PASS' if all(r['ok'] for r in runs) else 'FAIL'}"
    )
    if report.get("profile"):
        lines += ["", report["profile"]]
    return "\n".join(lines)


async def run(stack: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    runs = []
    for i in range(args.runs):
        profile = args.profile if args.profile and i == args.runs - 1 else None
        runs.append(await one_run(stack, args, profile))
        print(f"  run {i + 1}: {runs[-1]['commands_settled_s']} s, ok={runs[-1]['ok']}", file=sys.stderr)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="each run on a fresh session")
    parser.add_argument("--profile", type=Path, help="py-spy the enrollment process in the last run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_stack(("catalog", "enrollment")) as stack:
        runs = asyncio.run(run(stack, args))
        machine = machine_info(stack.postgres.url() if stack.postgres else None)
    report: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "machine": machine,
        "agents": args.agents,
        "seats": args.seats,
        "runs": runs,
    }
    if args.profile and (args.profile / "hotspot.pyspy").exists():
        report["profile"] = summarise_profile(
            args.profile / "hotspot.pyspy", "the enrollment process during the burst"
        )
    print(json.dumps(report, indent=2) if args.json else render(report))
    if not all(r["ok"] for r in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
