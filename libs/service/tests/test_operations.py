"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import uuid

from campus_service.testing import eventually, serve


async def test_ready_follows_nats(app, nats_server, tokens):
    async with serve(app) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {
            "database": "ok",
            "nats": "ok",
            "relay": "ok",
            "consumer:demo-projects": "ok",
        }

        nats_server.stop()

        async def not_ready():
            response = await client.get("/health/ready")
            return response if response.status_code == 503 else None

        response = await eventually(not_ready)
        assert response.json()["status"] == "not_ready" and response.json()["checks"]["nats"] != "ok"
        assert (await client.get("/health/live")).status_code == 200
        # Commands are still accepted while the broker is away: the outbox keeps the events.
        own = f"m{uuid.uuid4().hex[:8]}"
        accepted = await client.post(
            f"/v1/ministries/{own}/projects",
            json={"title": "Pendant la panne", "team_size": 1},
            headers=tokens.auth(roles=["manager"], ministry=own),
        )
        assert accepted.status_code == 201

        nats_server.start()
        await eventually(lambda: ready_again(client), within=15)


async def ready_again(client) -> bool:
    return (await client.get("/health/ready")).status_code == 200


async def test_metrics_expose_the_names(client, tokens):
    own = f"m{uuid.uuid4().hex[:8]}"
    headers = tokens.auth(roles=["manager"], ministry=own)
    assert (
        await client.post(
            f"/v1/ministries/{own}/projects", json={"title": "M", "team_size": 1}, headers=headers
        )
    ).status_code == 201
    text = (await client.get("/metrics")).text
    for name in (
        "campus_http_requests_total",
        "campus_http_request_duration_seconds_bucket",
        "campus_events_appended_total",
        "campus_outbox_backlog",
        "campus_dead_letters",
        "campus_relay_published_total",
        "campus_relay_last_latency_seconds",
        "campus_consumer_applied_total",
        "campus_consumer_dead_lettered_total",
        "campus_consumer_lag",
        "campus_service_info",
    ):
        assert name in text, name
    assert 'route="/v1/ministries/{ministry}/projects",status="201"' in text
    assert 'campus_events_appended_total{type="ProjectOpened"} 1.0' in text
    assert 'campus_consumer_lag{consumer="demo-projects"}' in text


async def test_openapi_documents_auth_and_problems(client):
    document = (await client.get("/openapi.json")).json()
    assert document["info"]["title"] == "Campus demo" and document["info"]["version"] == "9.9.9"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    create = document["paths"]["/v1/ministries/{ministry}/projects"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert {"401", "403", "422"} <= set(create["responses"])
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert "security" not in document["paths"]["/v1/public"]["get"]
    assert "security" not in document["paths"]["/health/ready"]["get"]
    assert (await client.get("/docs")).status_code == 200


async def test_starts_without_nats_and_becomes_ready_when_it_comes(app, nats_server, tokens):
    nats_server.stop()
    async with serve(app, ready=False) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["nats"] == "disconnected"
        assert response.json()["checks"]["relay"].startswith("not started")
        own = f"m{uuid.uuid4().hex[:8]}"
        accepted = await client.post(
            f"/v1/ministries/{own}/projects",
            json={"title": "Avant NATS", "team_size": 1},
            headers=tokens.auth(roles=["manager"], ministry=own),
        )
        assert accepted.status_code == 201
        nats_server.start()
        await eventually(lambda: ready_again(client), within=15)
