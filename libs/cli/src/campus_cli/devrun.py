"""`campus dev`: start the stack, seed it, print where everything is, stop on Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from campus_devstack.stack import Stack

console = Console(highlight=False)
DEV_STAFF = uuid.UUID("00000000-0000-4000-8000-00000000c0de")  # demo: the seeding campus staff member


class SeedContext:
    """What a service's seeder gets: the services' URLs and development tokens."""

    def __init__(self, root: Path, urls: dict[str, str]) -> None:
        self.root = root
        self.urls = urls
        self.client = httpx.Client(timeout=30)

    def token(
        self, *roles: str, ministry: str = "dinum", sub: uuid.UUID | str = DEV_STAFF, ttl: int = 3600
    ) -> str:
        from campus_service.devkeys import mint_token

        return mint_token(
            (self.root / "keys" / "private.pem").read_bytes(),
            sub=str(sub),
            roles=list(roles),
            ministry=ministry,
            ttl=ttl,
        )

    def headers(
        self, *roles: str, ministry: str = "dinum", sub: uuid.UUID | str = DEV_STAFF
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, ministry=ministry, sub=sub)}"}


def run_seeders(root: Path, urls: dict[str, str]) -> list[str]:
    """Run every installed seeder (entry points ``campus.seed``), in name order; they are idempotent."""
    done = []
    context = SeedContext(root, urls)
    for entry in sorted(entry_points(group="campus.seed"), key=lambda e: e.name):
        seeder: Any = entry.load()
        seeder(context)
        done.append(entry.name)
    return done


def run_stack(stack: Stack, *, seed: bool = True) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    started = time.monotonic()
    console.print(f"[bold]Campus[/] starting in {stack.root} …")
    try:
        stack.start()
        ready = time.monotonic() - started
        seeded = run_seeders(stack.root, {n: s.url for n, s in stack.services.items()}) if seed else []
        print_banner(stack, ready, seeded)
        while not stop.is_set():
            for name, service in stack.services.items():
                if service.process is not None and service.process.poll() is not None:
                    console.print(f"[red]{name} exited ({service.process.returncode}); restarting[/]")
                    stack.restart_service(name, kill=False)
            stop.wait(1.0)
    finally:
        console.print("stopping …")
        stack.stop()
        console.print("stopped.")


def print_banner(stack: Stack, ready_seconds: float, seeded: list[str]) -> None:
    context = SeedContext(stack.root, {})
    token = context.token(
        "agent", "manager", "campus_staff", "funding_committee", "admin", sub=uuid.uuid4(), ttl=12 * 3600
    )
    console.print(f"\n[bold green]Campus is running[/] (all services ready in {ready_seconds:.1f} s)\n")
    for name, service in stack.services.items():
        console.print(f"  {name:<11} {service.url}/docs   {service.url}/health/ready")
    console.print(f"  {'nats':<11} {stack.nats_url}")
    console.print(f"  seeded: {', '.join(seeded) or 'nothing to seed yet'}   logs: {stack.logs_dir}")
    console.print(
        "\nA development token (all roles, ministry dinum, 12 h: `campus token --help` for others):"
    )
    print(token, flush=True)
    console.print("\nCtrl-C stops everything.")
