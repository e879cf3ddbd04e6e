"""W3C trace context across the event flow (OpenTelemetry API only; the service kit installs the SDK).

An HTTP request's span context travels as ``traceparent`` in the envelope (the CloudEvents
distributed-tracing extension) and in the NATS headers; a consumer applies each message in a span
whose parent is the envelope's, and binds ``trace_id``/``span_id`` to the log lines it writes::

    with message_span(envelope, "catalog-read-models"):
        await projection.apply(conn, envelope)

Without an SDK tracer provider the spans are non-recording and only carry the ids along. When
nothing records spans (``record_spans`` off, the message's trace not sampled), no consumer span
is opened at all: the message is applied in its producer's trace context, which the ids travel
on, and the log lines carry its trace id (an unrecorded span cost a third of a consumer's time
per message, bench/pipeline.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from structlog.contextvars import bound_contextvars

if TYPE_CHECKING:
    from .envelope import Envelope

PROPAGATOR = TraceContextTextMapPropagator()
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_applying: ContextVar[tuple[Envelope, str] | None] = ContextVar("campus_applying", default=None)
tracer = trace.get_tracer("campus_events")
_recording = False


def record_spans(on: bool) -> bool:
    """Open a consumer span for every message (on), or only for sampled traces (off, the default).
    The service kit turns it on when spans are exported. Returns the previous setting."""
    global _recording
    previous, _recording = _recording, on
    return previous


def sampled(traceparent: str | None) -> bool:
    """Whether a ``traceparent``'s flags mark its trace as sampled."""
    if not traceparent or len(traceparent) < 2:
        return False
    last = traceparent[-1]  # the low bit of the flags' second hex digit
    return last in "13579bdfBDF"


def parent_context(traceparent: str | None, tracestate: str | None = None) -> Context | None:
    """The context to start a child span in, from W3C headers (``None``: start a new trace)."""
    if not traceparent:
        return None
    carrier = {"traceparent": traceparent}
    if tracestate:
        carrier["tracestate"] = tracestate
    context = PROPAGATOR.extract(carrier)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def current_traceparent() -> str | None:
    """The ``traceparent`` of the current span, if there is a valid one."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def log_ids(span: trace.Span) -> dict[str, str]:
    """``trace_id`` and ``span_id`` (hex, as in ``traceparent``) to bind to log lines."""
    context = span.get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a ``traceparent`` header (``00-<trace id>-<parent id>-<flags>``)."""
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


@contextmanager
def message_span(envelope: Envelope, consumer: str) -> Iterator[trace.Span]:
    """Apply one message in a consumer span, child of the envelope's ``traceparent``; the log lines
    written meanwhile carry the correlation, event, trace and span ids. When no span would be
    recorded, none is opened: the producer's context is current instead (see the module's doc)."""
    if not (_recording or sampled(envelope.traceparent)):
        parent = producer_context(envelope.traceparent)
        token = otel_context.attach(parent) if parent is not None else None
        applying = _applying.set((envelope, consumer))  # read by add_message_ids, if a line is written
        try:
            yield trace.get_current_span()
        finally:
            _applying.reset(applying)
            if token is not None:
                otel_context.detach(token)
        return
    with (
        tracer.start_as_current_span(
            f"{consumer} apply {envelope.type}",
            context=parent_context(envelope.traceparent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": consumer,
                "messaging.message.id": str(envelope.id),
                "campus.event.type": envelope.type,
                "campus.stream": envelope.stream,
            },
        ) as span,
        bound_contextvars(
            correlation_id=str(envelope.correlation_id or ""),
            event_id=str(envelope.id),
            stream=envelope.stream,
            consumer=consumer,
            **log_ids(span),
        ),
    ):
        yield span


def producer_context(traceparent: str | None) -> Context | None:
    """``parent_context`` for the common header, parsed at a third of the propagator's cost."""
    match = _TRACEPARENT.fullmatch(traceparent) if traceparent else None
    if match is None:
        return parent_context(traceparent)  # absent, another version, or invalid: its rules
    trace_id, span_id = int(match[1], 16), int(match[2], 16)
    if not trace_id or not span_id:
        return None
    flags = TraceFlags(int(match[3], 16))
    return trace.set_span_in_context(NonRecordingSpan(SpanContext(trace_id, span_id, True, flags)))


def add_message_ids(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor, placed before ``merge_contextvars``: the correlation, event and trace
    ids of the message being applied (see ``message_span``), added only when a line is written —
    binding them for every message cost more than applying it."""
    applying = _applying.get()
    if applying is not None:
        envelope, consumer = applying
        event_dict.setdefault("correlation_id", str(envelope.correlation_id or ""))
        event_dict.setdefault("event_id", str(envelope.id))
        event_dict.setdefault("consumer", consumer)
        if trace_id := trace_id_of(envelope.traceparent):
            event_dict.setdefault("trace_id", trace_id)
    return event_dict
