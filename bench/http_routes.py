"""HTTP throughput: catalogue search and a command route vs a bare FastAPI route of the same server.

One catalog service process (bench/serve.py: the real app plus ``GET /_bench/bare``, a bare route
mounted in that same app, behind the same middleware), durable PostgreSQL, NATS; the seed
catalogue (44 courses) published through the API. ``--clients`` keep-alive connections, each
sending its next request when the previous one is answered (closed loop), the same client code for
every contender; ``--seconds`` measured per contender after ``--warmup``, contenders interleaved,
``--runs`` rounds, medians:

* ``GET /_bench/bare`` — the anchor: what the server, the middleware and FastAPI cost;
* ``GET /v1/courses?q=...`` — catalogue search (French full text, facets), several queries in turn;
* ``POST /_bench/validate`` — a diagnosis, not a target: the command route's body model, gate and
  dependencies answering the validated body, without the command (what FastAPI and the
  validation cost of ``POST /v1/courses``);
* ``POST /v1/courses`` — a command (a new course, as campus_staff, no Idempotency-Key): decide,
  one append (events + outbox), with the relay and the projections running behind it.

Target: each route >= 50 % of the bare route's throughput. Beside each, the service process's CPU
over the window (a share of one core) and per request answered, its relay and projections
included: where the server is the bottleneck, 50 % needs a route at most twice the bare route's
CPU per request.

    .venv/bin/python bench/http_routes.py [--clients 32] [--seconds 8] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import uuid
from typing import Any
from urllib.parse import quote

from harness import Client, Tokens, bench_stack, cpu_seconds, machine_info, median, percentile

from campus_catalog.seed_data import COURSES

TARGET = 0.5
QUERIES = ["donnees", "securite", "intelligence artificielle", "cloud", "management", "numerique"]
BARE, SEARCH, COMMAND = "GET /_bench/bare", "GET /v1/courses?q=…", "POST /v1/courses"
VALIDATE = "POST /_bench/validate"  # the command's body, gate and dependencies, without the command


def course_body(i: int) -> dict[str, Any]:
    base = {k: v for k, v in COURSES[i % len(COURSES)].items() if k != "key"}
    return {**base, "title": f"{base['title']} (banc {uuid.uuid4().hex[:8]})"}


async def seed(port: int, staff: str) -> None:
    client = await Client(port).connect()
    for i, course in enumerate(COURSES):
        body = {k: v for k, v in course.items() if k != "key"}
        status, raw = await client.request("POST", "/v1/courses", body, {"Authorization": staff})
        assert status == 201, raw
        course_id = json.loads(raw)["id"]
        status, raw = await client.request(
            "POST", f"/v1/courses/{course_id}/publish", None, {"Authorization": staff}
        )
        assert status == 200, (i, raw)

    async def searchable() -> bool:  # the catalogue projection has caught up
        status, raw = await client.request("GET", "/v1/courses?limit=100")
        return status == 200 and len(json.loads(raw)["items"]) >= len(COURSES)

    deadline = time.monotonic() + 60
    while not await searchable():
        if time.monotonic() > deadline:
            raise TimeoutError("the seed catalogue never became searchable")
        await asyncio.sleep(0.1)
    await client.close()


async def measure(
    port: int, contender: str, auth: str, clients: int, warmup: float, seconds: float, pid: int | None = None
) -> dict[str, Any]:
    queries = itertools.cycle(QUERIES)
    counter = itertools.count()
    headers = {"Authorization": auth}

    def next_request() -> tuple[str, str, Any, int]:
        if contender == BARE:
            return "GET", "/_bench/bare", None, 200
        if contender == SEARCH:
            return "GET", f"/v1/courses?q={quote(next(queries))}", None, 200
        if contender == VALIDATE:
            return "POST", "/_bench/validate", course_body(next(counter)), 201
        return "POST", "/v1/courses", course_body(next(counter)), 201

    state = {"measuring": False, "stop": False}
    done, latencies, errors = [0], [], {}

    async def loop() -> None:
        client = await Client(port).connect()
        try:
            while not state["stop"]:
                method, path, body, expected = next_request()
                sent = time.perf_counter()
                status, _ = await client.request(method, path, body, headers)
                if state["measuring"] and not state["stop"]:
                    done[0] += 1
                    latencies.append((time.perf_counter() - sent) * 1000)
                    if status != expected:
                        errors[status] = errors.get(status, 0) + 1
        finally:
            await client.close()

    tasks = [asyncio.create_task(loop()) for _ in range(clients)]
    await asyncio.sleep(warmup)
    state["measuring"] = True
    cpu_before = cpu_seconds(pid) if pid else None
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    state["stop"] = True
    elapsed = time.perf_counter() - start
    cpu_after = cpu_seconds(pid) if pid else None
    await asyncio.gather(*tasks)
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return {
        "requests": done[0],
        "rps": round(done[0] / elapsed, 1),
        # The service process's CPU over the window (a share of one core) and per request answered:
        # what a route costs the server, relay and projections included, whatever the machine's noise.
        "server_cpu": round(cpu / elapsed, 3) if cpu is not None else None,
        "cpu_us": round(cpu / done[0] * 1e6) if cpu is not None and done[0] else None,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "errors": errors,
    }


async def run(stack: Any, args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    port = stack.services["catalog"].port
    process = stack.services["catalog"].process
    pid = process.pid if process is not None else None  # bench/serve.py itself, no wrapper
    staff = Tokens(stack).header("campus_staff")
    await seed(port, staff)
    results: dict[str, list[dict[str, Any]]] = {BARE: [], SEARCH: [], VALIDATE: [], COMMAND: []}
    for i in range(args.runs):
        for contender in results:
            outcome = await measure(port, contender, staff, args.clients, args.warmup, args.seconds, pid)
            results[contender].append(outcome)
            print(f"  run {i + 1} {contender}: {outcome['rps']} req/s", file=sys.stderr)
    return results


def summarise(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    bare = median([r["rps"] for r in results[BARE]])
    rows = {}
    for contender, runs in results.items():
        rps = median([r["rps"] for r in runs])
        rows[contender] = {
            "rps": rps,
            "p50_ms": median([r["p50_ms"] for r in runs]),
            "p99_ms": median([r["p99_ms"] for r in runs]),
            "errors": sum(sum(r["errors"].values()) for r in runs),
            "vs_bare": round(rps / bare, 3) if bare else None,
            "server_cpu": _median_of(runs, "server_cpu"),
            "cpu_us": _median_of(runs, "cpu_us"),
        }
    return rows


def _median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return median(values) if values else None


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"command: {report['command']}",
        f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB; PostgreSQL {m.get('postgresql')} "
        f"(fsync on); {m.get('nats')}",
        f"one catalog process (uvicorn); {report['clients']} keep-alive clients, closed loop; "
        f"{report['seconds']} s per contender, {report['runs']} interleaved runs, medians",
        "",
        f"{'route':26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs bare':>9}{'target':>8}  {'verdict':11}"
        f"{'server CPU':>11}{'µs/req':>8}",
    ]
    summary = report["summary"]
    for contender, r in summary.items():
        anchor = contender in (BARE, VALIDATE)
        verdict = (
            ("anchor" if contender == BARE else "diagnosis")
            if anchor
            else ("PASS" if r["vs_bare"] >= TARGET else "BELOW")
        )
        cpu = "" if r.get("server_cpu") is None else f"{r['server_cpu']:.0%}"
        per_request = "" if r.get("cpu_us") is None else f"{r['cpu_us']:,.0f}"
        lines.append(
            f"{contender:26}{r['rps']:>9,.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['errors']:>8}"
            f"{r['vs_bare']:>9.0%}{'' if anchor else f'{TARGET:.0%}':>8}  {verdict:11}{cpu:>11}{per_request:>8}"
        )
    bare, command = summary[BARE].get("cpu_us"), summary[COMMAND].get("cpu_us")
    if bare and command:
        lines += [
            "",
            "server CPU: the catalog process's CPU time over each window (a share of one core), and per "
            "request answered (its relay and projection included).",
            f"POST /v1/courses costs {command / bare:.2f}x the bare route's CPU per request: where the "
            f"server is the bottleneck, {TARGET:.0%} of the bare throughput needs at most {1 / TARGET:.0f}x.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_stack(("catalog",)) as stack:
        results = asyncio.run(run(stack, args))
        machine = machine_info(stack.postgres.url() if stack.postgres else None)
    report = {
        "command": " ".join(["python", *sys.argv]),
        "machine": machine,
        "clients": args.clients,
        "seconds": args.seconds,
        "runs": args.runs,
        "results": results,
        "summary": summarise(results),
        "target": TARGET,
    }
    print(json.dumps(report, indent=2) if args.json else render(report))


if __name__ == "__main__":
    main()
