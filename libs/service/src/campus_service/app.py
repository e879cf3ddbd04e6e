"""The app factory every service uses."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from campus_events.consumer import Projection
from campus_events.migrate import folder_migrations, kernel_migrations

from .audit import audit_router
from .correlation import RequestContextMiddleware
from .documents import documents_router
from .errors import install_error_handlers
from .health import router as health_router
from .logging import configure_logging
from .metrics import ServiceMetrics
from .openapi import install_openapi
from .runtime import Runtime
from .settings import ServiceSettings

# Recent FastAPI versions trace every request, dependency and endpoint themselves, and keep their
# own metrics, once opentelemetry-api is installed. The kit opens the request's server span
# (RequestContextMiddleware) and keeps the Prometheus metrics: FastAPI's are switched off, a span
# per dependency being most of their cost (bench/e2e.py profile).
NO_FASTAPI_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Iterable[APIRouter] = (),
    projections: Iterable[Projection] = (),
    migrations_folder: Path | str | None = None,
    version: str = "0.1.0",
    description: str = "",
) -> FastAPI:
    """A FastAPI app with the Campus conventions; nothing connects before its lifespan starts.

    The lifespan waits for PostgreSQL and migrates (the kernel's migrations, then the service's
    ``NNN_*.sql`` files), connects NATS in the background, ensures the streams, and runs the
    outbox relay and one consumer per projection. ``app.state.runtime`` holds them.
    """
    projections = list(projections)
    names = [p.name for p in projections]
    if len(set(names)) != len(names):
        raise ValueError(f"projection names must be unique: {names}")
    migrations = kernel_migrations()
    if migrations_folder is not None:
        migrations += folder_migrations(Path(migrations_folder), settings.service_name)
    metrics = ServiceMetrics(settings.service_name, version)
    runtime = Runtime(
        settings=settings, metrics=metrics, migrations=migrations, projections=projections, version=version
    )
    metrics.watch(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(json=bool(settings.log_json), level=settings.log_level)
        try:
            await runtime.start()
            yield
        finally:
            await runtime.stop()  # also after a failed start: close what was opened

    app = FastAPI(
        title=title, version=version, description=description, lifespan=lifespan, **NO_FASTAPI_TELEMETRY
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(health_router)
    app.include_router(documents_router(settings.service_name))  # /asyncapi.yaml, /schemas/…
    for router in routers:
        app.include_router(router)
    app.include_router(audit_router())  # GET /v1/audit: the state changes of this service's store
    install_openapi(app)
    return app
