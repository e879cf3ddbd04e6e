"""``Annotated`` dependency aliases for routes: ``async def route(store: StoreDep, ctx: CommandDep)``.

Every dependency is ``async def``, even when it awaits nothing: FastAPI runs a plain ``def``
dependency in a worker thread, a hop per request per dependency (bench/e2e.py profile).
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from nats.aio.client import Client as NATS

from .auth import OptionalPrincipalDep, PrincipalDep
from .correlation import RequestContext, request_context
from .errors import ServiceUnavailableError
from .idempotency import CommandContext, command_context
from .runtime import MeteredEventStore, Runtime
from .settings import ServiceSettings


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# The dependencies below read the runtime themselves rather than depending on ``get_runtime``:
# FastAPI resolves each dependency per request (~20 µs each in bench/http_routes.py).


async def get_settings(request: Request) -> ServiceSettings:
    runtime: Runtime = request.app.state.runtime
    return runtime.settings


async def get_pool(request: Request) -> asyncpg.Pool:
    runtime: Runtime = request.app.state.runtime
    if runtime.pool is None:
        raise ServiceUnavailableError("the database is not connected yet")
    return runtime.pool


async def get_store(request: Request) -> MeteredEventStore:
    runtime: Runtime = request.app.state.runtime
    if runtime.store is None:
        raise ServiceUnavailableError("the event store is not ready yet")
    return runtime.store


async def get_nats(request: Request) -> NATS:
    runtime: Runtime = request.app.state.runtime
    if runtime.nc is None or not runtime.nc.is_connected:
        raise ServiceUnavailableError("NATS is not connected")
    return runtime.nc


SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
StoreDep = Annotated[MeteredEventStore, Depends(get_store)]
NatsDep = Annotated[NATS, Depends(get_nats)]
CommandDep = Annotated[CommandContext, Depends(command_context)]
RequestContextDep = Annotated[RequestContext, Depends(request_context)]

__all__ = [
    "CommandDep",
    "NatsDep",
    "OptionalPrincipalDep",
    "PoolDep",
    "PrincipalDep",
    "RequestContextDep",
    "RuntimeDep",
    "SettingsDep",
    "StoreDep",
    "get_pool",
    "get_runtime",
    "get_store",
]
