"""structlog, configured once per process: ``merge_contextvars`` first, JSON in production,
readable console lines in development. Requests and messages bind ``correlation_id`` & co."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from campus_events.tracing import add_message_ids

_configured: tuple[bool, str] | None = None


def configure_logging(*, json: bool = False, level: str = "INFO") -> None:
    """Configure structlog and the standard library's root logger (uvicorn, asyncpg, nats) alike.

    Calling it again with the same arguments does nothing.
    """
    global _configured
    if _configured == (json, level.upper()):
        return
    _configured = (json, level.upper())
    shared: list[Any] = [
        add_message_ids,  # the ids of the message a consumer applies (before: the context's win)
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any
    if json:
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        # A plain traceback: structlog's default, where rich is installed, prints every frame's
        # local variables — thousands of lines per error, and the request's body and token in them.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler._campus = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for previous in [h for h in root.handlers if getattr(h, "_campus", False)]:
        root.removeHandler(previous)  # ours from an earlier call; others' (pytest's capture) stay
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):  # our middleware logs each request with its correlation id
        logging.getLogger(noisy).setLevel(logging.WARNING)


def bind_request(**values: Any) -> None:
    """Bind values (``correlation_id=…``) to every log line of the current task."""
    structlog.contextvars.bind_contextvars(
        **{k: str(v) if v is not None else None for k, v in values.items()}
    )


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """``bind_request`` for the duration of a ``with`` block, restoring the previous values after."""
    with structlog.contextvars.bound_contextvars(**{k: str(v) for k, v in values.items() if v is not None}):
        yield


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
