"""The dispatcher: POSTs the queued deliveries, in order per endpoint, and records each attempt.

* One active dispatcher per database: the holder of a session advisory lock (like the outbox
  relay); other replicas stand by. ``NOTIFY campus_webhooks`` (a consumer queued something, a
  delivery was retried by hand) wakes it; ``poll_seconds`` is the fallback.
* Per endpoint, one request in flight, for the pending delivery with the lowest ``seq``: a later
  event is never sent while an earlier one is pending (being retried) for that endpoint. Endpoints
  are served by separate worker tasks, so a slow one never holds up the others.
* 2xx → ``delivered``. Anything else (status, timeout, refused connection, redirect) → retried
  after ``retry_base * 2**(n-1)`` seconds (capped, with jitter), until ``max_attempts`` or
  ``max_age``: then ``failed``, which ``POST …/deliveries/{event_id}/retry`` queues again.
* An attempt is recorded after its response. A dispatcher stopped mid-request (crash, deploy)
  records nothing, so the delivery stays pending and is sent again: at least once, which is why
  receivers deduplicate on ``Campus-Event-Id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import structlog

from campus_events.aio import keep_running
from campus_events.store.postgres import connect

from .config import Settings
from .projections import CHANNEL
from .signature import HEADER, sign

log = structlog.get_logger("campus.webhooks")
DISPATCHER_LOCK = 0x57484F4F4B53  # "WHOOKS"
MAX_ERROR_LENGTH = 500
MAX_BACKOFF = 5.0

HEADS = """
SELECT DISTINCT ON (d.webhook_id) d.webhook_id, d.next_attempt_at,
       GREATEST(0, EXTRACT(EPOCH FROM d.next_attempt_at - now()))::float8 AS wait
FROM webhook_deliveries d JOIN webhooks w USING (webhook_id)
WHERE d.state = 'pending' AND w.status = 'active'
ORDER BY d.webhook_id, d.seq
"""
HEAD_OF = """
SELECT d.event_id, d.attempts, d.attempts_before_retry, d.next_attempt_at <= now() AS due,
       now() - d.scheduled_at AS age, e.body, w.url, w.secret, w.status,
       CASE WHEN w.previous_secret_until > now() THEN w.previous_secret END AS previous_secret
FROM webhook_deliveries d JOIN webhook_events e USING (event_id) JOIN webhooks w USING (webhook_id)
WHERE d.webhook_id = $1 AND d.state = 'pending'
ORDER BY d.seq LIMIT 1
"""
BACKLOG = """
SELECT count(*) FROM webhook_deliveries d JOIN webhooks w USING (webhook_id)
WHERE d.state = 'pending' AND w.status <> 'deactivated'
"""


@dataclass
class DispatcherStats:
    delivered: int = 0
    retried: int = 0  # attempts that failed and will be retried
    failed: int = 0  # deliveries given up
    backlog: float = float("nan")  # pending deliveries of registrations not deactivated
    active: bool = False
    last_error: str | None = None


@dataclass(frozen=True)
class Attempt:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_delay(settings: Settings, attempt: int) -> float:
    """Seconds before the attempt after failed attempt number ``attempt`` (1-based), with jitter."""
    delay: float = min(settings.retry_base_seconds * 2.0 ** min(attempt - 1, 40), settings.retry_max_seconds)
    return delay * random.uniform(0.5, 1.0)  # spreads retries: no cryptography here


class Dispatcher:
    """``await dispatcher.run()`` until cancelled."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, settings: Settings, *, version: str = "0") -> None:
        self.dsn = dsn
        self.pool = pool
        self.settings = settings
        self.user_agent = f"campus-webhooks/{version}"
        self.stats = DispatcherStats()
        self._wake = asyncio.Event()
        self._workers: dict[UUID, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._counted_at = 0.0

    def wake(self, *_: Any) -> None:
        self._wake.set()

    async def run(self) -> None:
        await keep_running(self._hold_lock_and_dispatch, self._failed, max_backoff=MAX_BACKOFF)

    def _failed(self, exc: Exception, retry_in: float) -> None:
        self.stats.active = False
        self.stats.last_error = repr(exc)
        log.warning("webhooks.dispatcher_restarting", error=repr(exc), retry_in=retry_in)

    async def _hold_lock_and_dispatch(self) -> None:
        conn = await connect(self.dsn)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", DISPATCHER_LOCK):
                self.stats.active = False
                await self._count_backlog(conn)
                await asyncio.sleep(self.settings.poll_seconds)  # another replica dispatches: stand by
            self.stats.active = True
            log.info("webhooks.dispatcher_active")
            await conn.add_listener(CHANNEL, self.wake)
            limits = httpx.Limits(max_connections=self.settings.concurrency * 2, max_keepalive_connections=32)
            async with httpx.AsyncClient(
                timeout=self.settings.delivery_timeout_seconds, follow_redirects=False, limits=limits
            ) as client:
                try:
                    await self._dispatch(conn, client)
                finally:
                    workers = list(self._workers.values())
                    for worker in workers:
                        worker.cancel()
                    # Cancelled mid-request, a delivery stays pending: the next dispatcher sends it.
                    await asyncio.gather(*workers, return_exceptions=True)
                    self._workers.clear()
        finally:
            self.stats.active = False
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

    async def _dispatch(self, conn: asyncpg.Connection, client: httpx.AsyncClient) -> None:
        while True:
            self._wake.clear()
            await self._count_backlog(conn)
            wait = self.settings.poll_seconds
            for head in await conn.fetch(HEADS):
                webhook_id = head["webhook_id"]
                if webhook_id in self._workers:
                    continue
                if head["wait"] > 0:
                    wait = min(wait, head["wait"])
                    continue
                self._workers[webhook_id] = asyncio.create_task(
                    self._serve(client, webhook_id), name=f"webhook:{webhook_id}"
                )
            with contextlib.suppress(TimeoutError):  # not wait_for: it can swallow a cancel
                async with asyncio.timeout(max(wait, 0.01)):
                    await self._wake.wait()

    async def _count_backlog(self, conn: asyncpg.Connection) -> None:
        if time.monotonic() - self._counted_at >= 1.0:
            self.stats.backlog = await conn.fetchval(BACKLOG)
            self._counted_at = time.monotonic()

    async def _serve(self, client: httpx.AsyncClient, webhook_id: UUID) -> None:
        """Deliver this endpoint's due deliveries, oldest first, until one must wait."""
        try:
            while True:
                row = await self.pool.fetchrow(HEAD_OF, webhook_id)
                if row is None or row["status"] != "active" or not row["due"]:
                    return
                async with self._slots:
                    attempt = await self.post(client, webhook_id, row)
                await self._record(webhook_id, row, attempt)
                if not attempt.ok:
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the database went away: the main loop comes back to it
            self.stats.last_error = repr(exc)
            log.warning("webhooks.worker_failed", webhook_id=str(webhook_id), error=repr(exc))
        finally:
            self._workers.pop(webhook_id, None)
            self._wake.set()

    async def post(self, client: httpx.AsyncClient, webhook_id: UUID, row: asyncpg.Record) -> Attempt:
        """One POST of the stored CloudEvent, signed with the current (and overlapping old) secret."""
        body = bytes(row["body"])
        secrets_ = [row["secret"], *([row["previous_secret"]] if row["previous_secret"] else [])]
        headers = {
            "Content-Type": "application/cloudevents+json",
            "User-Agent": self.user_agent,
            "Campus-Webhook-Id": str(webhook_id),
            "Campus-Event-Id": str(row["event_id"]),
            "Campus-Delivery-Attempt": str(row["attempts"] + 1),
            HEADER: sign(body, secrets_),
        }
        try:
            async with client.stream("POST", row["url"], content=body, headers=headers) as response:
                if 200 <= response.status_code < 300:
                    return Attempt(response.status_code, None)
                snippet = b""
                async for chunk in response.aiter_bytes():
                    snippet += chunk
                    if len(snippet) >= 200:
                        break
                text = snippet[:200].decode(errors="replace").strip()
                return Attempt(
                    response.status_code, f"HTTP {response.status_code}" + (f": {text}" if text else "")
                )
        except httpx.HTTPError as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])

    async def _record(self, webhook_id: UUID, row: asyncpg.Record, attempt: Attempt) -> None:
        event_id = row["event_id"]
        attempts = row["attempts"] + 1
        if attempt.ok:
            await self.pool.execute(
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = $3, last_status = $4,"
                " last_error = NULL, last_attempt_at = now(), delivered_at = now()"
                " WHERE webhook_id = $1 AND event_id = $2 AND state = 'pending'",
                webhook_id,
                event_id,
                attempts,
                attempt.status,
            )
            self.stats.delivered += 1
            log.info(
                "webhooks.delivered", webhook_id=str(webhook_id), event_id=str(event_id), attempts=attempts
            )
            return
        since_retry = attempts - row["attempts_before_retry"]
        give_up = since_retry >= self.settings.max_attempts or row["age"] >= timedelta(
            seconds=self.settings.max_age_seconds
        )
        delay = timedelta(seconds=retry_delay(self.settings, since_retry))
        await self.pool.execute(
            "UPDATE webhook_deliveries SET state = CASE WHEN $6 THEN 'failed' ELSE 'pending' END,"
            " attempts = $3, last_status = $4, last_error = $5, last_attempt_at = now(),"
            " next_attempt_at = now() + $7::interval"
            " WHERE webhook_id = $1 AND event_id = $2 AND state = 'pending'",
            webhook_id,
            event_id,
            attempts,
            attempt.status,
            attempt.error,
            give_up,
            delay,
        )
        if give_up:
            self.stats.failed += 1
            log.warning(
                "webhooks.gave_up",
                webhook_id=str(webhook_id),
                event_id=str(event_id),
                attempts=attempts,
                error=attempt.error,
            )
        else:
            self.stats.retried += 1
            log.info(
                "webhooks.retry_scheduled",
                webhook_id=str(webhook_id),
                event_id=str(event_id),
                attempts=attempts,
                retry_in=round(delay.total_seconds(), 3),
                error=attempt.error,
            )
