"""`campus status`: health, consumer lag, outbox backlog and dead letters of each service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from campus_devstack.stack import SERVICES, read_state

WATCHED = ("campus_outbox_backlog", "campus_consumer_lag", "campus_dead_letters")


def service_urls(root: Path) -> dict[str, str]:
    """From the running dev stack, else ``CAMPUS_<SERVICE>_URL``, else the contract's ports."""
    state = read_state(root) or {}
    running = {n: s["url"] for n, s in dict(state.get("services") or {}).items()}
    return {
        name: os.environ.get(f"CAMPUS_{name.upper()}_URL") or running.get(name) or f"http://127.0.0.1:{port}"
        for name, port in SERVICES.items()
    }


def parse_metrics(text: str) -> dict[str, float]:
    """Sum the watched metrics over their labels (per consumer: ``name{consumer=…}`` kept apart)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(WATCHED):
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key] = out.get(key, 0.0) + float(value)
        except ValueError:
            continue
    return out


def collect(root: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"services": {}}
    with httpx.Client(timeout=3) as client:
        for name, url in service_urls(root).items():
            entry: dict[str, Any] = {"url": url, "ready": False}
            try:
                ready = client.get(f"{url}/health/ready")
                entry["ready"] = ready.status_code == 200
                entry["checks"] = ready.json()
                entry["metrics"] = parse_metrics(client.get(f"{url}/metrics").text)
            except (httpx.HTTPError, ValueError) as exc:
                entry["error"] = f"unreachable: {exc.__class__.__name__}"
            report["services"][name] = entry
    return report


def render(report: dict[str, Any]) -> None:
    table = Table(title="Campus status")
    for column in ("service", "ready", "outbox backlog", "consumer lag", "dead letters", "detail"):
        table.add_column(column)
    for name, entry in report["services"].items():
        metrics = entry.get("metrics", {})

        def total(prefix: str, metrics: dict[str, float] = metrics) -> str:
            values = [v for k, v in metrics.items() if k.startswith(prefix)]
            return str(int(sum(values))) if values else "-"

        table.add_row(
            name,
            "[green]yes[/]" if entry["ready"] else "[red]no[/]",
            total("campus_outbox_backlog"),
            total("campus_consumer_lag"),
            total("campus_dead_letters"),
            entry.get("error", ""),
        )
    Console().print(table)
