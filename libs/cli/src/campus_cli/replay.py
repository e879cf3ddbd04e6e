"""`campus replay <service> <projection>`: rebuild one projection from JetStream, with a progress bar.

The service keeps answering meanwhile (see ``campus_events.replay``). The database is the
service's (``CAMPUS_<SERVICE>_DATABASE_URL`` or the running dev stack's), NATS the operator's
(``CAMPUS_NATS_URL`` or the dev stack's).
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from campus_devstack.stack import SERVICES
from campus_events import bus
from campus_events.consumer import Projection
from campus_events.replay import ReplayProgress, ReplayResult, replay, table_differences

console = Console(stderr=True, highlight=False)


class UsageError(Exception):
    """A service or projection that does not exist: the message lists the valid ones."""


def projections_of(service: str) -> dict[str, Projection]:
    """The service's projections: its ``PROJECTIONS`` list, or those its ``operator_projections()``
    builds (projections made by a factory, e.g. around the service's caches), else the
    ``Projection`` objects of its module."""
    if service not in SERVICES:
        raise UsageError(f"unknown service {service!r}; services: {', '.join(SERVICES)}")
    module = importlib.import_module(f"campus_{service}.projections")
    factory = getattr(module, "operator_projections", None)
    found = (
        getattr(module, "PROJECTIONS", None)
        or (factory() if factory is not None else None)
        or [value for value in vars(module).values() if isinstance(value, Projection)]
    )
    return {p.name: p for p in found}


def rebuildable(service: str) -> list[str]:
    return [name for name, p in projections_of(service).items() if p.tables]


def find_projection(service: str, name: str) -> Projection:
    projections = projections_of(service)
    valid = ", ".join(rebuildable(service)) or "none"
    if name not in projections:
        raise UsageError(
            f"unknown projection {name!r} of {service}; its projections: {', '.join(projections)}"
            f" (rebuildable: {valid})"
        )
    if not projections[name].tables:
        raise UsageError(
            f"{name} cannot be rebuilt alone (it shares its tables or issues commands); rebuildable: {valid}"
        )
    return projections[name]


async def run_replay(
    root: Path, service: str, projection: Projection, *, keep_previous: bool, batch_size: int, bar: bool
) -> dict[str, Any]:
    from .operate import database_url, operator_nats_url

    dsn = database_url(root, service)
    nc = await asyncio.wait_for(bus.connect(operator_nats_url(root), name="campus-replay"), 10)
    try:
        with _progress(bar) as progress:
            task = progress.add_task("rebuilding", total=None)

            def show(state: ReplayProgress) -> None:
                progress.update(task, description=state.phase, completed=state.applied, total=state.total)

            result = await replay(
                dsn, nc, projection, keep_previous=keep_previous, batch_size=batch_size, on_progress=show
            )
    finally:
        await nc.close()
    return await summary(dsn, result)


async def summary(dsn: str, result: ReplayResult) -> dict[str, Any]:
    out = dataclasses.asdict(result)
    if result.previous_schema is not None:  # kept: say whether the rebuild equals what it replaced
        from campus_events.store.postgres import connect

        conn = await connect(dsn)
        try:
            out["differences"] = await table_differences(
                conn, result.tables, result.schema, result.previous_schema
            )
        finally:
            await conn.close()
    return out


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )


def render(out: dict[str, Any]) -> None:
    console.print(
        f"{out['projection']}: {out['applied']} events applied into {', '.join(out['tables'])} in"
        f" {out['seconds']}s; checkpoint {out['checkpoint_before']} → {out['last_seq']}"
    )
    if out["dead_lettered"]:
        console.print(f"[yellow]{len(out['dead_lettered'])} dead-lettered: `campus dead-letters list`")
    if out.get("differences") is not None:
        diff = {t: n for t, n in out["differences"].items() if n}
        state = "equal to the previous tables" if not diff else f"rows differing from the previous: {diff}"
        console.print(f"rebuilt tables {state} (kept in schema {out['previous_schema']})")
