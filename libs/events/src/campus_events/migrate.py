"""Forward-only SQL migrations, applied once each, under an advisory lock (safe with replicas)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import asyncpg

MIGRATION_LOCK = 0x43414D50  # "CAMP": any replica runs migrations, one at a time


def kernel_migrations() -> list[tuple[str, str]]:
    """The event store's own migrations (events, outbox, idempotency, consumers)."""
    folder = resources.files("campus_events") / "migrations"
    return sorted(
        (f"campus_events/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )


def folder_migrations(folder: Path, prefix: str) -> list[tuple[str, str]]:
    """A service's migrations: ``NNN_name.sql`` files of ``folder``, in name order."""
    return sorted((f"{prefix}/{p.name}", p.read_text(encoding="utf-8")) for p in folder.glob("*.sql"))


async def migrate(conn: asyncpg.Connection, migrations: list[tuple[str, str]]) -> list[str]:
    """Apply the migrations not yet applied, in order; returns the names applied now."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in migrations:
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied_now.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now
