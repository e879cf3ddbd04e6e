"""`make bench`: run every benchmark in bench/ and write bench/RESULTS.md (machine, commands, figures)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = [
    ("Event store append (8 writers, single-event commits)", ["store.py", "--seconds", "10"]),
    ("Relay and projection vs raw nats-py", ["pipeline.py", "--events", "50000"]),
    ("Catalogue search (10,000 courses)", ["search.py"]),
]


def main() -> None:
    sections = [
        f"# Benchmark results\n\nRun {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `make bench`.\n"
    ]
    for title, args in BENCHES:
        if not (HERE / args[0]).exists():
            continue
        command = [sys.executable, args[0], *args[1:]]
        print(f"== {title}: {' '.join(args)}", flush=True)
        done = subprocess.run(command, cwd=HERE, capture_output=True, text=True)
        output = done.stdout.strip() or done.stderr.strip()[-3000:]
        print(output, flush=True)
        sections.append(
            f"## {title}\n\n`python bench/{' '.join(args)}` (exit {done.returncode})\n\n```\n{output}\n```\n"
        )
    (HERE / "RESULTS.md").write_text("\n".join(sections))
    print(f"written {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
