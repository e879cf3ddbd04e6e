"""Wiring: the app from its settings, routers, projections, migrations and the dispatcher
(nothing at import time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from campus_service import create_app as create_service_app
from campus_service import load_settings

from . import __version__
from .api import ROUTERS
from .config import Settings
from .dispatcher import Dispatcher
from .metrics import DispatcherCollector
from .projections import PROJECTIONS

MIGRATIONS = Path(__file__).parent / "migrations"
DISPATCHER_TASK = "webhooks-dispatcher"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    app = create_service_app(
        settings,
        title="Campus webhooks",
        description=(
            "Signed webhooks for administrations that cannot run a NATS client: a ministry registers an"
            " HTTPS endpoint and a secret; the events of its scope (and the public ones) are POSTed to it as"
            " CloudEvents signed with HMAC-SHA256 (`Campus-Signature`), retried with back-off, and logged."
        ),
        version=__version__,
        routers=ROUTERS,
        projections=PROJECTIONS,
        migrations_folder=MIGRATIONS,
    )
    runtime = app.state.runtime
    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with kit_lifespan(app):
            assert runtime.pool is not None
            dispatcher = Dispatcher(settings.database_url, runtime.pool, settings, version=__version__)
            app.state.dispatcher = dispatcher
            collector = DispatcherCollector(dispatcher)
            runtime.metrics.registry.register(collector)
            # In the runtime's tasks: stopped (cancelled) with the relay and consumers, before the pool closes.
            runtime.tasks[DISPATCHER_TASK] = asyncio.create_task(dispatcher.run(), name=DISPATCHER_TASK)
            try:
                yield
            finally:
                runtime.metrics.registry.unregister(collector)

    app.router.lifespan_context = lifespan
    return app
