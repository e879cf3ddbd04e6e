"""Cancellation that cannot be swallowed.

Python 3.11's ``asyncio.wait_for`` returns the inner result when a cancellation arrives just
as the inner awaitable completes, losing the cancellation; and on cancellation or timeout it
waits for the inner awaitable to finish, which hangs forever when that awaitable ignores its
own cancellation (nats-py's ``fetch`` and ``close`` can). A service whose relay loop swallowed
its cancellation never stopped (a CI run timed out in shutdown). These helpers wait with
``asyncio.wait``, which never swallows a cancellation and never waits on a stuck awaitable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import structlog

log = structlog.get_logger("campus.aio")
T = TypeVar("T")


class NotDoneError(TimeoutError):
    """``within``'s own timeout: told apart from a ``TimeoutError`` the awaitable itself raised."""


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """``awaitable``'s result, or ``NotDoneError`` (a ``TimeoutError``) after ``seconds``.

    On timeout or cancellation the inner task is cancelled and left behind, never awaited.
    """
    inner = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({inner}, timeout=seconds)
    except asyncio.CancelledError:
        inner.cancel()
        raise
    if not done:
        inner.cancel()
        raise NotDoneError(f"not done within {seconds}s")
    return inner.result()


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]], grace: float = 10.0) -> list[asyncio.Task[Any]]:
    """Cancel ``tasks`` and wait for them, cancelling again any that swallowed it.

    Returns the tasks still running after ``grace`` seconds (logged, then abandoned), so that a
    stuck task never stops a service from shutting down.
    """
    pending = {task for task in tasks if not task.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while pending:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(1.0, remaining))
    for task in pending:
        log.error("task.did_not_stop", task=task.get_name(), grace_seconds=grace)
    return sorted(pending, key=lambda task: task.get_name())


async def keep_running(
    step: Callable[[], Awaitable[None]],
    on_error: Callable[[Exception, float], None],
    *,
    max_backoff: float = 5.0,
) -> None:
    """Run ``step`` again and again until cancelled (the relay, a consumer, the webhooks
    dispatcher): when it fails, ``on_error(exc, retry_in)`` records it, then back-off doubles from
    0.1 s to ``max_backoff``; a step that returns resets it."""
    backoff = 0.1
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - database or broker away, or a bug: never give up
            on_error(exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)
        else:
            backoff = 0.1
