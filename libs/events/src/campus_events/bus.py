"""Connecting to NATS the way every Campus process does: reconnect forever, log the changes."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import structlog
from nats.aio.client import Client as NATS

log = structlog.get_logger("campus.nats")


async def connect(url: str, *, name: str = "campus", **options: Any) -> NATS:
    """A NATS connection that never gives up reconnecting (``max_reconnect_attempts=-1``).

    The first connection is retried too, so a service may start before its broker
    (wrap the call in ``asyncio.wait_for`` to bound the wait).
    """

    async def disconnected() -> None:
        log.warning("nats.disconnected", name=name)

    async def reconnected() -> None:
        log.info("nats.reconnected", name=name)

    async def error(exc: Exception) -> None:
        log.warning("nats.error", name=name, error=repr(exc))

    defaults: dict[str, Any] = {
        "name": name,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.5,
        "connect_timeout": 2,
        "disconnected_cb": disconnected,
        "reconnected_cb": reconnected,
        "error_cb": error,
        "pending_size": 64 * 1024 * 1024,
    }
    defaults.update(options)
    backoff = 0.1
    while True:
        try:
            return await nats.connect(url, **defaults)
        except (OSError, nats.errors.NoServersError, TimeoutError) as exc:
            log.warning("nats.unreachable", name=name, url=url, error=repr(exc), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
