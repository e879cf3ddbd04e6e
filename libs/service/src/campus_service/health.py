"""``/health/live``, ``/health/ready`` and ``/metrics`` (outside ``/v1``, no authentication)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .routing import CampusRoute
from .runtime import Runtime, consumer_task

DB_CHECK_TIMEOUT = 1.0
OK = "ok"

router = APIRouter(route_class=CampusRoute, tags=["operations"])


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


async def check_database(runtime: Runtime) -> str:
    if runtime.pool is None:
        return "not connected yet"
    try:
        async with asyncio.timeout(DB_CHECK_TIMEOUT), runtime.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"failing: {exc!r}"[:300]
    return OK


def check_task(task: asyncio.Task[Any] | None) -> str:
    if task is None:
        return "not started (waiting for NATS)"
    if task.done():
        error = None if task.cancelled() else task.exception()
        return f"stopped: {error!r}"[:300]
    return OK


async def readiness(runtime: Runtime) -> dict[str, str]:
    """Each check's state: ``ok`` or why not."""
    checks = {"database": await check_database(runtime)}
    nc = runtime.nc
    checks["nats"] = OK if nc is not None and nc.is_connected else "disconnected"
    checks["relay"] = check_task(runtime.tasks.get("relay"))
    for projection in runtime.projections:
        checks[consumer_task(projection.name)] = check_task(runtime.tasks.get(consumer_task(projection.name)))
    return checks


@router.get("/health/live", summary="The process answers")
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get(
    "/health/ready",
    summary="Ready to serve: database, NATS, outbox relay and every consumer up",
    responses={503: {"description": "Not ready: `checks` says which check fails"}},
)
async def ready(request: Request) -> JSONResponse:
    runtime = _runtime(request)
    checks = await readiness(runtime)
    ok = all(state == OK for state in checks.values())
    return JSONResponse(  # ``service``: which one answers on this port (the dev stack checks it)
        {
            "status": "ready" if ok else "not_ready",
            "service": runtime.settings.service_name,
            "checks": checks,
        },
        status_code=200 if ok else 503,
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime = _runtime(request)
    await runtime.metrics.refresh(runtime)
    body, media_type = runtime.metrics.render()
    return Response(body, media_type=media_type)
