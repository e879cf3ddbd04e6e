"""Operator commands: JetStream streams, dead letters, erasure across services."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from campus_devstack.stack import read_state
from campus_events import bus
from campus_events.consumer import decode_payload
from campus_events.store.postgres import connect

from .replay import projections_of

console = Console(highlight=False)


def database_url(root: Path, service: str) -> str:
    import os

    explicit = os.environ.get(f"CAMPUS_{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    state = read_state(root) or {}
    services: dict[str, Any] = dict(state.get("services") or {})
    if service not in services:
        raise SystemExit(
            f"unknown service {service!r} or stack not running; set CAMPUS_{service.upper()}_DATABASE_URL"
        )
    return str(services[service]["database_url"])


def operator_nats_url(root: Path) -> str:
    import os

    if os.environ.get("CAMPUS_NATS_URL"):
        return os.environ["CAMPUS_NATS_URL"]
    from campus_devstack.natsconf import OPERATOR, credentials_url, password_for

    state = read_state(root) or {}
    return credentials_url(
        str(state.get("nats_url") or "nats://127.0.0.1:4222"), OPERATOR, password_for(root, OPERATOR)
    )


async def streams(root: Path) -> list[dict[str, Any]]:
    nc = await asyncio.wait_for(bus.connect(operator_nats_url(root), name="campus-cli"), 10)
    try:
        js = nc.jetstream()
        out = []
        for info in await js.streams_info():
            out.append(
                {
                    "stream": info.config.name,
                    "subjects": info.config.subjects,
                    "messages": info.state.messages,
                    "bytes": info.state.bytes,
                    "first_seq": info.state.first_seq,
                    "last_seq": info.state.last_seq,
                    "consumers": info.state.consumer_count,
                    "replicas": info.config.num_replicas,
                }
            )
        return out
    finally:
        await nc.close()


def print_streams(rows: list[dict[str, Any]]) -> None:
    table = Table(title="JetStream streams")
    for column in ("stream", "messages", "bytes", "first", "last", "consumers", "replicas"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["stream"], str(r["messages"]), str(r["bytes"]), str(r["first_seq"]), str(r["last_seq"]),
            str(r["consumers"]), str(r["replicas"]),
        )  # fmt: skip
    console.print(table)


async def dead_letters(root: Path, service: str) -> list[dict[str, Any]]:
    conn = await connect(database_url(root, service))
    try:
        rows = await conn.fetch(
            "SELECT id, consumer, stream, stream_seq, subject, error, attempts, created_at"
            " FROM dead_letters ORDER BY id"
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


async def retry_dead_letters(
    root: Path, service: str, ids: list[int] | None
) -> tuple[int, list[str], list[int]]:
    """Apply dead letters again through their projection (after a fix); a success removes the row.
    How many were applied, why the others still fail, and the ``ids`` that are not there."""
    projections = projections_of(service)
    conn = await connect(database_url(root, service))
    retried, failures = 0, []
    try:
        rows = await conn.fetch(
            "SELECT id, consumer, subject, payload FROM dead_letters WHERE $1::bigint[] IS NULL OR id = ANY($1)"
            " ORDER BY id",
            ids,
        )
        found = {row["id"] for row in rows}
        missing = [i for i in dict.fromkeys(ids or ()) if i not in found]
        for row in rows:
            projection = projections.get(row["consumer"])
            if projection is None:
                failures.append(f"#{row['id']}: no projection {row['consumer']!r} in campus_{service}")
                continue
            try:
                envelope = decode_payload(row["payload"])
                async with conn.transaction():
                    await projection.apply(conn, envelope)
                    await conn.execute("DELETE FROM dead_letters WHERE id = $1", row["id"])
                retried += 1
            except Exception as exc:  # noqa: BLE001 - reported to the operator, row kept
                failures.append(f"#{row['id']}: {exc!r}"[:300])
    finally:
        await conn.close()
    return retried, failures, missing


async def drop_dead_letters(root: Path, service: str, ids: list[int]) -> tuple[int, list[int]]:
    """Delete the dead letters ``ids``: how many went, and the ids that were not there."""
    conn = await connect(database_url(root, service))
    try:
        rows = await conn.fetch("DELETE FROM dead_letters WHERE id = ANY($1::bigint[]) RETURNING id", ids)
        dropped = {row["id"] for row in rows}
        return len(dropped), [i for i in dict.fromkeys(ids) if i not in dropped]
    finally:
        await conn.close()


def erase_agent(urls: dict[str, str], token: str, agent_id: str) -> dict[str, Any]:
    """POST /v1/agents/{id}/erase on every service that holds personal details; a service that
    cannot be reached is reported (``status`` 0, ``error``) and the others are still erased."""
    results: dict[str, Any] = {}
    with httpx.Client(timeout=10) as client:
        for service in ("enrollment", "trainers"):
            try:
                response = client.post(
                    f"{urls[service]}/v1/agents/{agent_id}/erase",
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.HTTPError as exc:
                results[service] = {"status": 0, "error": f"{type(exc).__name__}: {exc}"}
                continue
            results[service] = {"status": response.status_code, "body": _json(response)}
    return results


def erasure_line(service: str, outcome: dict[str, Any]) -> str:
    """What ``campus erase-agent`` did on one service, in words."""
    status, body = outcome["status"], outcome.get("body")
    if status == 0:
        return f"{service}: NOT ERASED, unreachable ({outcome['error']}): run the command again"
    if status >= 300:
        detail = body.get("detail") if isinstance(body, dict) else body
        return f"{service}: NOT ERASED, {status} {detail}: run the command again"
    if isinstance(body, dict) and body.get("erased"):
        return f"{service}: {status}, personal details erased"
    return f"{service}: {status}, nothing held (never seen, or erased before)"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except json.JSONDecodeError:
        return response.text
