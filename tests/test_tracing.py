"""One request followed across services: its correlation id and W3C trace id are in the log of the
service that handled it and in the log of every service that consumed its events.

The five services run as processes (the session ``stack``), each writing its own log file. A course
proposed to the catalog (``CourseProposed``) is consumed by the catalog's own read models and by
enrollment, projects and trainers.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid

import httpx
import pytest

from campus_service.devkeys import mint_token
from campus_service.testing import eventually

pytestmark = pytest.mark.e2e

CONSUMERS = (
    "catalog",
    "enrollment",
    "projects",
    "trainers",
)  # of CourseProposed (campus.catalog.public.course)


async def test_correlation_and_trace_ids_follow_a_request_into_every_consumer(stack):
    private = (stack.root / "keys" / "private.pem").read_bytes()
    token = mint_token(private, sub=uuid.uuid4(), roles=["campus_staff"], ministry="dinum", ttl=600)
    correlation, trace_id = uuid.uuid4(), secrets.token_hex(16)
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Correlation-Id": str(correlation),
        "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
        "tracestate": "campus=test",
    }
    body = {
        "title": f"Traçabilité {correlation.hex[:8]}",
        "kind": "formation",
        "summary": "Suivre une requête d'un service à l'autre.",
        "modality": "online",
        "themes": ["data"],
    }
    async with httpx.AsyncClient(base_url=stack.services["catalog"].url, timeout=10) as client:
        created = await client.post("/v1/courses", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["x-correlation-id"] == str(correlation)

    def log_of(service: str) -> str:
        return (stack.logs_dir / f"{service}.log").read_text(errors="replace")

    async def everywhere() -> bool:
        return all(str(correlation) in log_of(s) and trace_id in log_of(s) for s in CONSUMERS)

    try:
        await eventually(everywhere, within=30, interval=0.2)
    except AssertionError:
        missing = [s for s in CONSUMERS if str(correlation) not in log_of(s) or trace_id not in log_of(s)]
        raise AssertionError(f"ids missing from the logs of {missing}") from None

    # The handling service's access log line carries both ids, on one line.
    lines = [
        line for line in log_of("catalog").splitlines() if "http.request" in line and str(correlation) in line
    ]
    assert lines and all(trace_id in line for line in lines)
    # Each consumer's line for the event names the request's correlation and trace ids together.
    for service in CONSUMERS:
        applied = [
            line for line in log_of(service).splitlines() if "consumer.applied" in line and trace_id in line
        ]
        assert applied and all(str(correlation) in line for line in applied), service


async def test_consumer_spans_are_children_of_the_request_span(database_url, nats_server):
    """In one process, with the SDK's in-memory exporter attached: client span → the catalog's server
    span → one consumer span per projection that applied the event, all in the client's trace."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from campus_catalog.bootstrap import create_app
    from campus_catalog.config import Settings
    from campus_service.testing import TokenFactory, serve
    from campus_service.tracing import configure_tracing, export_to

    tokens = TokenFactory()
    app = create_app(
        Settings(database_url=database_url, nats_url=nats_server.url, jwt_public_key=tokens.public_pem)
    )
    exporter = InMemorySpanExporter()
    configure_tracing("catalog", "test")
    stop_exporting = export_to(SimpleSpanProcessor(exporter))
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    async with contextlib.AsyncExitStack() as exits:
        exits.callback(stop_exporting)
        client = await exits.enter_async_context(serve(app))
        created = await client.post(
            "/v1/courses",
            json={
                "title": "Traces",
                "kind": "formation",
                "summary": "s",
                "modality": "online",
                "themes": ["data"],
            },
            headers={**tokens.auth(roles=["campus_staff"]), "traceparent": f"00-{trace_id}-{client_span}-01"},
        )
        assert created.status_code == 201, created.text

        def ours() -> list:
            return [s for s in exporter.get_finished_spans() if f"{s.context.trace_id:032x}" == trace_id]

        async def consumed() -> bool:
            return any(s.name == "catalog-read-models apply CourseProposed" for s in ours())

        await eventually(consumed, within=20)
    (server,) = [s for s in ours() if s.kind is SpanKind.SERVER]
    assert f"{server.parent.span_id:016x}" == client_span and server.attributes["http.route"] == "/v1/courses"
    assert server.attributes["campus.correlation_id"] == created.headers["x-correlation-id"]
    applied = [s for s in ours() if s.name.endswith("apply CourseProposed")]
    assert applied and all(s.parent.span_id == server.context.span_id for s in applied)
    assert all(s.attributes["messaging.message.id"] for s in applied)


def test_an_otlp_endpoint_without_the_exporter_package_is_logged_and_skipped():
    """No exporter by default; an endpoint set while the OTLP exporter package is absent (as here) is
    reported and tracing goes on without export."""
    import importlib.util

    from structlog.testing import capture_logs

    from campus_service.tracing import _exporter

    assert importlib.util.find_spec("opentelemetry.exporter") is None  # this test's premise
    with capture_logs() as logs:
        assert _exporter({}) is None
        assert logs == []
        assert _exporter({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) is None
    assert [(e["event"], e["endpoint"], e["exporting"]) for e in logs] == [
        ("tracing.exporter_missing", "http://collector:4318", False)
    ]
