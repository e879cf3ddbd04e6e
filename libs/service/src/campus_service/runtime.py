"""What a running service holds: database pool, event store, NATS connection, relay, consumers.

``start`` waits for PostgreSQL (retrying) and migrates, then connects NATS in the background:
the service answers, accepts commands (the outbox keeps the events) and reports not-ready
until the broker is reachable, the streams exist and the relay and consumers run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from nats.aio.client import Client as NATS

from campus_events import bus
from campus_events.aio import stop_tasks, within
from campus_events.consumer import Projection, ProjectionConsumer
from campus_events.envelope import Envelope
from campus_events.migrate import migrate
from campus_events.outbox import OutboxRelay, relay_waker
from campus_events.store.base import AppendResult, Expected
from campus_events.store.postgres import PostgresEventStore, create_pool
from campus_events.streams import ensure_streams

from .auth import TokenVerifier
from .devkeys import ensure_keypair
from .metrics import ServiceMetrics
from .settings import ServiceSettings
from .tracing import configure_tracing

log = structlog.get_logger("campus.runtime")
MAX_BACKOFF = 5.0


class MeteredEventStore(PostgresEventStore):
    """The PostgreSQL store, counting the events it appends."""

    def __init__(self, pool: asyncpg.Pool, metrics: ServiceMetrics) -> None:
        super().__init__(pool)
        self.metrics = metrics

    async def append(self, events: Sequence[Envelope], expected: Expected, **kwargs: Any) -> AppendResult:
        result = await super().append(events, expected, **kwargs)
        for event in result.events:
            self.metrics.events_appended.labels(event.type).inc()
        return result


def build_verifier(settings: ServiceSettings) -> TokenVerifier:
    """From the JWKS URL, the PEM, the PEM file, or (development only) the dev key pair."""
    issuer, audience = settings.jwt_issuer, settings.jwt_audience
    if settings.jwks_url:
        return TokenVerifier(jwks_url=settings.jwks_url, issuer=issuer, audience=audience)
    pem = settings.jwt_public_key
    if pem is None and settings.jwt_public_key_file is not None:
        pem = settings.jwt_public_key_file.read_text()
    if pem is None:
        if not settings.development:  # ServiceSettings refuses it already: never dev keys in production
            raise RuntimeError("no JWT verification key configured")
        _, pem = ensure_keypair(settings.dev_keys_dir)
        log.info("auth.development_keys", folder=str(settings.dev_keys_dir))
    return TokenVerifier(public_key_pem=pem, issuer=issuer, audience=audience)


async def connect_database(settings: ServiceSettings, *, for_store: bool = False) -> asyncpg.Pool:
    """A pool, once PostgreSQL accepts connections (retried with back-off, never given up): the
    service's, or (``for_store``) the event store's own, which plans its statements once."""
    max_size = settings.store_pool_max_size if for_store else settings.db_pool_max_size
    backoff = 0.1
    while True:
        try:
            return await create_pool(
                settings.database_url, max_size=max_size, generic_plans=for_store, timeout=5
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("database.unreachable", error=repr(exc), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)


@dataclass
class Runtime:
    settings: ServiceSettings
    metrics: ServiceMetrics
    migrations: list[tuple[str, str]]
    projections: Sequence[Projection] = ()
    version: str = "0"
    verifier: TokenVerifier | None = None
    pool: asyncpg.Pool | None = None
    store_pool: asyncpg.Pool | None = None
    store: MeteredEventStore | None = None
    nc: NATS | None = None
    relay: OutboxRelay | None = None
    consumers: list[ProjectionConsumer] = field(default_factory=list)
    tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)

    async def start(self) -> None:
        self.consumers, self.tasks, self.relay, self.nc = [], {}, None, None
        configure_tracing(self.settings.service_name, self.version)
        self.verifier = build_verifier(self.settings)
        self.pool = await connect_database(self.settings)
        async with self.pool.acquire() as conn:
            applied = await migrate(conn, self.migrations)
        self.store_pool = await connect_database(self.settings, for_store=True)
        self.store = MeteredEventStore(self.store_pool, self.metrics)
        self.tasks["messaging"] = asyncio.create_task(self._start_messaging(), name="campus-messaging")
        log.info(
            "service.started", service=self.settings.service_name, version=self.version, migrated=applied
        )

    async def _start_messaging(self) -> None:
        name = f"campus-{self.settings.service_name}"
        self.nc = await bus.connect(self.settings.nats_url, name=name, reconnect_time_wait=0.5)
        backoff = 0.1
        while True:
            try:
                await ensure_streams(self.nc.jetstream())
                break
            except Exception as exc:  # noqa: BLE001 - JetStream not ready yet (cluster forming, reconnecting)
                log.warning("nats.streams_not_ready", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        dsn = self.settings.database_url
        self.relay = OutboxRelay(dsn, self.nc)
        if self.store is not None and self.pool is not None:
            self.store.after_append = relay_waker(self.relay, self.pool)
        self.tasks["relay"] = asyncio.create_task(self.relay.run(), name="campus-relay")
        for projection in self.projections:
            consumer = ProjectionConsumer(dsn, self.nc, projection)
            self.consumers.append(consumer)
            self.tasks[consumer_task(projection.name)] = asyncio.create_task(
                consumer.run(), name=consumer_task(projection.name)
            )
        log.info("messaging.started", relay=True, consumers=[p.name for p in self.projections])

    async def stop(self) -> None:
        messaging = self.tasks.pop("messaging", None)
        if messaging is not None:
            await stop_tasks([messaging], grace=5)
        await stop_tasks(self.tasks.values(), grace=10)
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await within(self.nc.close(), 5)
        for pool in (self.store_pool, self.pool):
            if pool is not None:
                try:
                    await within(pool.close(), 10)
                except (TimeoutError, OSError, asyncpg.PostgresError):
                    pool.terminate()
        self.pool = self.store_pool = self.store = None
        log.info("service.stopped", service=self.settings.service_name)


def consumer_task(name: str) -> str:
    return f"consumer:{name}"
