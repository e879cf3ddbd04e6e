"""Per-request context: the correlation id (``X-Correlation-Id``, or a new UUID), echoed in the
response, and the server span continuing the W3C ``traceparent``/``tracestate`` of the request (or
starting a trace): FastAPI's own when it traces natively, else one of ours. The events the request
causes carry that span's ``traceparent``. Every log line
of the request carries ``correlation_id``, ``trace_id`` and ``span_id``. HTTP metrics and the
access log; an unhandled exception becomes a 500 problem (logged, no stack trace in the body)."""

from __future__ import annotations

import re
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import structlog
from fastapi import Request
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campus_events.tracing import current_traceparent, log_ids, parent_context

from .errors import problem
from .metrics import ServiceMetrics

CORRELATION_HEADER = "X-Correlation-Id"
CONTEXT_SCOPE_KEY = "campus.request_context"
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
QUIET_PATHS = ("/health/", "/metrics")

log = structlog.get_logger("campus.http")
tracer = trace.get_tracer("campus_service")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a request passes on to the events it causes."""

    correlation_id: UUID
    traceparent: str | None = None


def parse_correlation_id(value: str | None) -> UUID | None:
    if not value:
        return None
    try:
        return UUID(value.strip())
    except ValueError:
        return None  # not ours to trust: a fresh id replaces it


def parse_traceparent(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value if TRACEPARENT.match(value) else None


def context_of(request: Request) -> RequestContext:
    """The request's context (set by the middleware; made up here if the middleware is absent)."""
    context = request.scope.get(CONTEXT_SCOPE_KEY)
    if context is None:
        context = RequestContext(
            correlation_id=parse_correlation_id(request.headers.get(CORRELATION_HEADER)) or uuid4(),
            traceparent=parse_traceparent(request.headers.get("traceparent")),
        )
        request.scope[CONTEXT_SCOPE_KEY] = context
    return context


async def request_context(request: Request) -> RequestContext:
    """Dependency (``RequestContextDep``): ``context_of`` the request, without a thread hop."""
    return context_of(request)


class RequestContextMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it breaks contextvars and streaming)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = parse_traceparent(headers.get("traceparent"))
        framework = trace.get_current_span()  # FastAPI's server span of this request, if it traces
        owned = not framework.get_span_context().is_valid
        server: AbstractContextManager[trace.Span] = nullcontext(framework)
        if owned:
            server = tracer.start_as_current_span(
                f"{scope['method']} {scope['path']}",
                context=parent_context(incoming, headers.get("tracestate")),
                kind=SpanKind.SERVER,
                attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
                record_exception=False,  # recorded below, with the 500 it becomes
                set_status_on_exception=False,
            )
        with server as span:
            context = RequestContext(
                correlation_id=parse_correlation_id(headers.get(CORRELATION_HEADER)) or uuid4(),
                traceparent=current_traceparent() or incoming,
            )
            span.set_attribute("campus.correlation_id", str(context.correlation_id))
            await self._handle(scope, receive, send, context, span if owned else None)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, context: RequestContext, owned: trace.Span | None
    ) -> None:
        scope[CONTEXT_SCOPE_KEY] = context
        state: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                MutableHeaders(scope=message)[CORRELATION_HEADER] = str(context.correlation_id)
            await send(message)

        saved = structlog.contextvars.get_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=str(context.correlation_id), **log_ids(trace.get_current_span())
        )
        start = time.perf_counter()
        try:
            if scope["path"].endswith("\n"):
                # Starlette's route patterns end in "$", which also matches before a final newline:
                # "/schemas/\n" would be served as "/schemas/". No route's path ends in one.
                await problem(404, "no such resource")(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if owned is not None:
                owned.record_exception(exc)
            log.exception("http.unhandled_error", method=scope["method"], path=scope["path"])
            if state["started"]:
                raise
            response = problem(
                500,
                "an unexpected error occurred; quote the correlation id to the support team",
                correlation_id=str(context.correlation_id),
            )
            await response(scope, receive, send_with_id)
        finally:
            route = self._record(scope, state["status"], time.perf_counter() - start)
            if owned is not None:
                owned.update_name(f"{scope['method']} {route}")
                owned.set_attribute("http.route", route)
                owned.set_attribute("http.response.status_code", state["status"])
                if state["status"] >= 500:
                    owned.set_status(Status(StatusCode.ERROR))
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(**saved)

    def _record(self, scope: Scope, status: int, seconds: float) -> str:
        route = getattr(scope.get("route"), "path", None)
        if route is None:  # documents and other plain routes have fixed paths; 404s must not explode labels
            route = "<unmatched>" if status == 404 else scope["path"]
        if self.metrics is not None:
            self.metrics.observe_request(scope["method"], route, status, seconds)
        quiet = scope["path"].startswith(QUIET_PATHS) and status < 500
        (log.debug if quiet else log.info)(
            "http.request",
            method=scope["method"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 1),
        )
        return route
