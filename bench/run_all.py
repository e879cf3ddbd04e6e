"""`make bench`: run every benchmark in bench/ and write bench/RESULTS.md.

RESULTS.md holds the machine (CPU, cores, RAM, PostgreSQL and NATS versions, load when started),
each exact command, and each benchmark's own table: every figure beside its anchor, the ratio, the
target and whether it is met (medians of the runs each benchmark repeats). Sizes are chosen so
that the whole takes about 15 minutes on a 2-core machine; the full 1,000,000-event replay is
``python bench/replay.py --events 1000000`` (about 7 minutes more there).

    .venv/bin/python bench/run_all.py [--only e2e,hotspot]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

from harness import machine_info

HERE = Path(__file__).parent
BENCHES = [  # (key, title, arguments)
    (
        "store",
        "Event store append (8 writers, single-event commits)",
        ["store.py", "--seconds", "6", "--rounds", "3"],
    ),
    (
        "pipeline",
        "Relay and projection vs raw nats-py",
        ["pipeline.py", "--events", "30000", "--rounds", "3"],
    ),
    ("replay", "Projection replay: speed and memory", ["replay.py", "--events", "200000"]),
    (
        "e2e",
        "End to end: POST /v1/enrollments -> AgentEnrolled visible",
        ["e2e.py", "--seconds", "20", "--runs", "3"],
    ),
    (
        "http",
        "HTTP: search and a command vs a bare route",
        ["http_routes.py", "--seconds", "8", "--runs", "3"],
    ),
    ("hotspot", "Hot spot: 2,000 enrolments on one 300-seat session", ["hotspot.py", "--runs", "3"]),
    ("search", "Catalogue search statement (10,000 courses)", ["search.py"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help="comma-separated keys: " + ",".join(k for k, _, _ in BENCHES))
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    m = machine_info()
    sections = [
        "# Benchmark results\n",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `make bench` (`python bench/run_all.py`).\n",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; Python {m['python']}; "
        f"PostgreSQL {m.get('postgresql')} (embedded, fsync on); {m.get('nats')}; {m['platform']}; "
        f"load average at start {m['load_avg'][0]:.2f}.\n",
        "Every figure is beside its anchor, measured in the same run on the same servers: the ratios are "
        "the result, absolute figures move with the machine (a shared 2-core machine moves them a lot).\n",
    ]
    for key, title, bench_args in BENCHES:
        if only and key not in only:
            continue
        command = [sys.executable, bench_args[0], *bench_args[1:]]
        print(f"== {title}: {' '.join(bench_args)}", flush=True)
        start = time.monotonic()
        done = subprocess.run(command, cwd=HERE, capture_output=True, text=True)
        took = time.monotonic() - start
        output = done.stdout.strip() or done.stderr.strip()[-3000:]
        print(output, flush=True)
        sections.append(
            f"## {title}\n\n`python bench/{' '.join(bench_args)}` (exit {done.returncode}, {took:.0f} s)\n\n"
            f"```\n{output}\n```\n"
        )
    (HERE / "RESULTS.md").write_text("\n".join(sections))
    print(f"written {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
