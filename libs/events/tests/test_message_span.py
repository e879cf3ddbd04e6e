"""A consumer applies each message in its producer's trace: with a span of its own when spans are
recorded, in the producer's context otherwise (no span is paid for that nobody records)."""

from __future__ import annotations

import secrets
import uuid

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from campus_events import tracing
from campus_events.contracts.catalog import CourseArchived
from campus_events.envelope import envelope_for
from campus_events.tracing import (
    current_traceparent,
    message_span,
    parent_context,
    producer_context,
    record_spans,
    sampled,
)

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def sdk_tracer(monkeypatch):
    # An SDK tracer, as the service kit installs one, without touching the process's global provider.
    monkeypatch.setattr(tracing, "tracer", TracerProvider().get_tracer("test"))


def message(flags: str):
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    envelope = envelope_for(CourseArchived(course_id=uuid.uuid4()), uuid.uuid4()).model_copy(
        update={"traceparent": f"00-{trace_id}-{parent}-{flags}", "correlation_id": uuid.uuid4()}
    )
    return envelope, trace_id, parent


def logged_inside(envelope) -> tuple[dict, str | None]:
    with (
        structlog.testing.capture_logs(
            processors=[tracing.add_message_ids, structlog.contextvars.merge_contextvars]
        ) as logs,
        message_span(envelope, "test-consumer"),
    ):
        structlog.get_logger().info("inside")
        inner = current_traceparent()
    return logs[0], inner


def test_sampled_reads_the_flags():
    assert sampled("00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    assert not sampled("00-" + "a" * 32 + "-" + "b" * 16 + "-00")
    assert not sampled(None) and not sampled("")


def test_unrecorded_messages_run_in_the_producers_context_and_log_its_ids():
    previous = record_spans(False)
    try:
        envelope, trace_id, _ = message("00")
        line, inner = logged_inside(envelope)
    finally:
        record_spans(previous)
    assert inner == envelope.traceparent  # a command issued here continues the producer's trace
    assert line["trace_id"] == trace_id and line["event_id"] == str(envelope.id)
    assert line["correlation_id"] == str(envelope.correlation_id) and line["consumer"] == "test-consumer"
    assert current_traceparent() is None  # and the context is restored after


@pytest.mark.parametrize(("recording", "flags"), [(True, "00"), (False, "01")])
def test_recorded_messages_get_a_consumer_span_child_of_the_producers(recording, flags):
    previous = record_spans(recording)
    try:
        envelope, trace_id, parent = message(flags)
        line, inner = logged_inside(envelope)
    finally:
        record_spans(previous)
    assert inner is not None
    _, inner_trace, inner_span, _ = inner.split("-")
    assert inner_trace == trace_id and inner_span != parent  # a span of its own, in the same trace
    assert line["trace_id"] == trace_id and line["span_id"] == inner_span


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-" + secrets.token_hex(16) + "-" + secrets.token_hex(8) + "-01",
        "00-" + secrets.token_hex(16) + "-" + secrets.token_hex(8) + "-00",
        "00-" + "0" * 32 + "-" + secrets.token_hex(8) + "-01",  # invalid: a zero trace id
        "00-" + secrets.token_hex(16) + "-" + "0" * 16 + "-01",  # invalid: a zero parent id
        "00-" + "A" * 32 + "-" + "b" * 16 + "-01",  # upper case: not W3C, the propagator decides
        "not a traceparent",
        None,
    ],
)
def test_the_producers_context_is_the_propagators(traceparent):
    fast, reference = producer_context(traceparent), parent_context(traceparent)
    assert (fast is None) == (reference is None)
    if fast is not None:
        fast_span = trace.get_current_span(fast).get_span_context()
        assert fast_span == trace.get_current_span(reference).get_span_context()
        assert fast_span.is_remote and fast_span.is_valid
