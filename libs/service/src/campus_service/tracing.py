"""OpenTelemetry tracing of a service process: the SDK tracer provider, an exporter only if configured.

Spans always get ids (they travel in ``traceparent`` and appear in the logs); they are recorded
and leave the process only when ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and an OTLP exporter package
(``opentelemetry-exporter-otlp-proto-http`` or ``-grpc``) is installed; if it is not, that is
logged and tracing goes on without export. Without an exporter, only the requests a caller marks
as sampled are recorded (measured: recording the spans FastAPI and the kit open costs a trivial
request ~40 % more, for nothing when no one exports them).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import DEFAULT_OFF, Sampler, SamplingResult
from opentelemetry.sdk.trace.sampling import _get_from_env_or_default as sampler_from_env

from campus_events.tracing import record_spans

log = structlog.get_logger("campus.tracing")
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
EXPORTERS = {
    "http/protobuf": "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "grpc": "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
}


class WhenExporting(Sampler):
    """The configured sampler (``OTEL_TRACES_SAMPLER``, by default parent-based always-on) once a span
    processor exports. Until then a trace started here is not sampled (its spans are ids only, no
    recording), and a caller's sampling decision is passed on unchanged (``traceparent`` flags)."""

    def __init__(self) -> None:
        self.exporting = False
        self.inner = sampler_from_env()

    def should_sample(self, parent_context: Context | None, *args: Any, **kwargs: Any) -> SamplingResult:
        chosen = self.inner if self.exporting else DEFAULT_OFF
        return chosen.should_sample(parent_context, *args, **kwargs)

    def get_description(self) -> str:
        return f"WhenExporting{{{self.inner.get_description()}}}"


def export_to(processor: SpanProcessor) -> Callable[[], None]:
    """Record spans and hand them to ``processor`` (an exporter's, or a test's in-memory one).
    Returns what undoes it: the processor is shut down, recording stops if it was off before."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        raise RuntimeError("configure_tracing() first")
    sampler = provider.sampler
    was_exporting = isinstance(sampler, WhenExporting) and sampler.exporting
    provider.add_span_processor(processor)
    if isinstance(sampler, WhenExporting):
        sampler.exporting = True
    was_recording = record_spans(True)  # consumers open a span per message

    def undo() -> None:
        if isinstance(sampler, WhenExporting):
            sampler.exporting = was_exporting
        record_spans(was_recording)
        processor.shutdown()

    return undo


def otlp_endpoint(env: dict[str, str] | None = None) -> str | None:
    values = os.environ if env is None else env
    return next((values[v] for v in ENDPOINT_VARIABLES if values.get(v)), None)


def configure_tracing(service: str, version: str, env: dict[str, str] | None = None) -> TracerProvider:
    """Install the SDK tracer provider once per process (several apps may share one: the first
    names the resource) and return it."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"campus-{service}", "service.version": version}),
        sampler=WhenExporting(),
    )
    trace.set_tracer_provider(provider)
    exporter = _exporter(env)
    if exporter is not None:
        export_to(BatchSpanProcessor(exporter))
    return provider


def _exporter(env: dict[str, str] | None) -> Any:
    endpoint = otlp_endpoint(env)
    if endpoint is None:
        return None  # the default: spans give their ids to logs and messages, nothing is exported
    values = os.environ if env is None else env
    protocol = values.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or values.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    module_name = EXPORTERS.get(protocol, EXPORTERS["http/protobuf"])
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        log.warning("tracing.exporter_missing", endpoint=endpoint, module=module_name, exporting=False)
        return None
    log.info("tracing.exporting", endpoint=endpoint, protocol=protocol)
    return module.OTLPSpanExporter()  # reads the endpoint and headers from the OTEL_* variables
