"""Metrics the issue names are on each service's ``/metrics`` (Prometheus text format), and the
Grafana dashboard in ``deploy/grafana`` only queries metrics the services export."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from campus_service.devkeys import mint_token
from campus_service.testing import eventually

pytestmark = pytest.mark.e2e

DASHBOARD = Path(__file__).parents[1] / "deploy" / "grafana" / "campus-dashboard.json"
FAMILIES = {  # what the issue asks for → the family and its type
    "HTTP requests per route": ("campus_http_requests", "counter"),
    "HTTP latency per route": ("campus_http_request_duration_seconds", "histogram"),
    "events appended": ("campus_events_appended", "counter"),
    "outbox backlog": ("campus_outbox_backlog", "gauge"),
    "relay latency": ("campus_relay_latency_seconds", "histogram"),
    "consumer lag": ("campus_consumer_lag", "gauge"),
    "consumer processing time": ("campus_consumer_batch_duration_seconds", "histogram"),
    "dead letters": ("campus_dead_letters", "gauge"),
    "dead-lettered by consumer": ("campus_consumer_dead_lettered", "counter"),
    "service label for the dashboard": ("campus_service_info", "gauge"),
}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "by", "on", "rate", "increase", "histogram_quantile", "group_left",
    "label_values", "le", "service", "instance", "route", "method", "status", "type", "consumer",
}  # fmt: skip


def staff(stack) -> dict[str, str]:
    private = (stack.root / "keys" / "private.pem").read_bytes()
    token = mint_token(private, sub=uuid.uuid4(), roles=["campus_staff"], ministry="dinum", ttl=600)
    return {"Authorization": f"Bearer {token}"}


async def scrape(stack, service: str) -> str:
    async with httpx.AsyncClient(base_url=stack.services[service].url, timeout=10) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_each_metric_family_is_exposed(stack):
    catalog = stack.services["catalog"].url
    body = {
        "title": "Métriques",
        "kind": "formation",
        "summary": "s",
        "modality": "online",
        "themes": ["data"],
    }
    async with httpx.AsyncClient(base_url=catalog, timeout=10) as client:
        assert (await client.post("/v1/courses", json=body, headers=staff(stack))).status_code == 201
        assert (await client.get("/v1/courses/not-a-uuid")).status_code == 422

    async def published_and_applied() -> dict | None:
        families = {f.name: f for f in text_string_to_metric_families(await scrape(stack, "catalog"))}
        relayed = families.get("campus_relay_latency_seconds")
        applied = families.get("campus_consumer_batch_duration_seconds")
        counted = [s.value for f in (relayed, applied) if f for s in f.samples if s.name.endswith("_count")]
        return families if len(counted) >= 2 and all(counted) else None

    families = await eventually(published_and_applied, within=30, interval=0.2)
    for need, (name, kind) in FAMILIES.items():
        assert name in families and families[name].type == kind, need
    routes = {s.labels["route"] for s in families["campus_http_requests"].samples}
    assert {"/v1/courses", "/v1/courses/{course_id}"} <= routes  # route templates, not raw paths
    appended = {s.labels["type"]: s.value for s in families["campus_events_appended"].samples}
    assert appended.get("CourseProposed", 0) >= 1
    consumers = {s.labels["consumer"] for s in families["campus_consumer_lag"].samples}
    assert consumers == {"catalog-read-models", "catalog-registered-trainers"}
    assert {s.labels["service"] for s in families["campus_service_info"].samples} == {"catalog"}


def expressions(dashboard: dict) -> list[str]:
    found = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    found += [v["definition"] for v in dashboard["templating"]["list"] if v.get("definition")]
    return found


async def test_the_dashboard_queries_only_exported_metrics(stack):
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["service"]["definition"] == "label_values(campus_service_info, service)"
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for panel in ("requests per second", "p99 latency", "5xx", "events appended", "outbox backlog",
                  "relay latency", "consumer lag", "processing time", "dead letters"):  # fmt: skip
        assert panel in titles, panel

    exported: set[str] = set()
    for service in stack.services:
        for family in text_string_to_metric_families(await scrape(stack, service)):
            exported |= {sample.name for sample in family.samples}
    queries = expressions(dashboard)
    assert len(queries) >= 15
    for expr in queries:
        assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), expr
        bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\{[^}]*\}', "", expr)  # strings, ranges and matchers out
        names = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", bare)) - PROMQL_WORDS
        assert names and names <= exported, f"{expr}: not exported: {names - exported}"
        # Every panel follows the service variable.
        assert "$service" in expr or expr.startswith("label_values("), expr
