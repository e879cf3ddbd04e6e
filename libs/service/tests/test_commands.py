"""Commands: one effect per Idempotency-Key (also when requests race), correlation and trace
ids carried into the events, errors as problems, and the projection fed through NATS."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

import pytest
import structlog

from campus_service.idempotency import REPLAYED_HEADER

from .demo import DATABASE_LOSSES


async def count_events(app) -> int:
    async with app.state.runtime.pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM events")


def ministry() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


async def test_same_key_twice_gives_one_effect_and_the_same_response(app, client, tokens):
    own = ministry()
    headers = {
        **tokens.auth(roles=["manager"], ministry=own, sub=uuid.uuid4()),
        "Idempotency-Key": str(uuid.uuid4()),
    }
    body = {"title": f"Projet {uuid.uuid4()}", "team_size": 3}
    first = await client.post(f"/v1/ministries/{own}/projects", json=body, headers=headers)
    second = await client.post(f"/v1/ministries/{own}/projects", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.headers["location"] == second.headers["location"] == f"/v1/projects/{first.json()['id']}"
    assert REPLAYED_HEADER.lower() not in first.headers and second.headers[REPLAYED_HEADER] == "true"
    assert await count_events(app) == 1
    # The same JSON with its keys in another order and other spacing is the same request.
    reordered = json.dumps(dict(reversed(body.items())), indent=2).encode()
    third = await client.post(
        f"/v1/ministries/{own}/projects",
        content=reordered,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert third.status_code == 201 and third.json() == first.json(), third.text
    assert await count_events(app) == 1
    # A key stored before the canonical fingerprint holds the digest of the body's bytes: the same
    # bytes still replay (a seeder re-run on an existing stack, a retry across the upgrade).
    sent = json.dumps(body).encode()
    async with app.state.runtime.pool.acquire() as conn:
        await conn.execute(
            "UPDATE idempotency_keys SET result = jsonb_set(result, '{fingerprint}', to_jsonb($1::text))"
            " WHERE key LIKE '%:' || $2",
            hashlib.sha256(sent).hexdigest(),
            headers["Idempotency-Key"],
        )
    legacy = await client.post(
        f"/v1/ministries/{own}/projects",
        content=sent,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert legacy.status_code == 201 and legacy.json() == first.json(), legacy.text

    reused = await client.post(
        f"/v1/ministries/{own}/projects", json={**body, "team_size": 4}, headers=headers
    )
    assert reused.status_code == 422  # the same key for another request is a client error
    no_key = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
    assert (await client.post(f"/v1/ministries/{own}/projects", json=body, headers=no_key)).status_code == 201
    assert await count_events(app) == 2


async def test_the_key_is_scoped_to_the_caller(app, client, tokens):
    own, key = ministry(), str(uuid.uuid4())
    body = {"title": "Projet", "team_size": 3}
    for _ in range(2):
        headers = {**tokens.auth(roles=["manager"], ministry=own, sub=uuid.uuid4()), "Idempotency-Key": key}
        assert (
            await client.post(f"/v1/ministries/{own}/projects", json=body, headers=headers)
        ).status_code == 201
    assert await count_events(app) == 2


async def test_concurrent_requests_with_one_key_give_one_effect(app, client, tokens):
    own = ministry()
    headers = {**tokens.auth(roles=["manager"], ministry=own), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"title": "Concurrent", "team_size": 5}
    responses = await asyncio.gather(
        *(client.post(f"/v1/ministries/{own}/projects", json=body, headers=headers) for _ in range(12))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert await count_events(app) == 1


async def test_a_refused_command_leaves_the_key_unused(app, client, tokens):
    own = ministry()
    headers = {**tokens.auth(roles=["manager"], ministry=own), "Idempotency-Key": str(uuid.uuid4())}
    refused = await client.post(
        f"/v1/ministries/{own}/projects", json={"title": "taken", "team_size": 1}, headers=headers
    )
    assert refused.status_code == 409 and refused.json()["detail"] == "this title is taken"
    assert await count_events(app) == 0


async def test_correlation_and_trace_reach_the_event_and_the_projection(app, client, tokens):
    own, correlation = ministry(), uuid.uuid4()
    traceparent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    sub = uuid.uuid4()
    headers = {
        **tokens.auth(
            roles=["manager"], ministry=own, sub=sub, email="jeanne@example.fr", given_name="Jeanne"
        ),
        "X-Correlation-Id": str(correlation),
        "traceparent": traceparent,
    }
    response = await client.post(
        f"/v1/ministries/{own}/projects", json={"title": "Tracé", "team_size": 2}, headers=headers
    )
    assert response.headers["x-correlation-id"] == str(correlation)
    project_id = uuid.UUID(response.json()["id"])
    store = app.state.runtime.store
    (event,) = await store.read_stream(f"project-{project_id}")
    assert event.correlation_id == correlation
    # The service's own span is the parent now: same trace, a new span id.
    assert event.traceparent is not None
    assert event.traceparent.split("-")[1] == traceparent.split("-")[1]
    assert event.actor.id == sub and event.actor.role == "manager" and event.ministry == own
    assert "jeanne" not in event.model_dump_json().lower()  # no personal data in events

    async with asyncio.timeout(15):
        while True:
            async with app.state.runtime.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT ministry, title FROM demo_projects WHERE project_id = $1", project_id
                )
            if row is not None:
                break
            await asyncio.sleep(0.05)
    assert dict(row) == {"ministry": own, "title": "Tracé"}

    generated = await client.get("/v1/whoami", headers={**headers, "X-Correlation-Id": "not-a-uuid"})
    assert uuid.UUID(generated.headers["x-correlation-id"])


async def test_unhandled_errors_are_500_problems_without_internals(client):
    response = await client.get("/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 500 and problem["correlation_id"] == response.headers["x-correlation-id"]
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    not_found = await client.get(f"/v1/nothing/{uuid.uuid4()}")
    assert not_found.status_code == 404 and not_found.json()["title"] == "Not Found"


@pytest.mark.parametrize("how", sorted(DATABASE_LOSSES))
async def test_a_lost_database_is_a_retryable_503_not_a_500(client, how):
    response = await client.get(f"/v1/database-lost/{how}")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"


async def test_request_logs_carry_the_correlation_id_and_no_personal_data(client, tokens):
    correlation = uuid.uuid4()
    headers = {
        **tokens.auth(roles=["agent"], email="secret.agent@example.fr", usual_name="Dupont"),
        "X-Correlation-Id": str(correlation),
    }
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        assert (await client.get("/v1/whoami", headers=headers)).status_code == 200
    (line,) = [entry for entry in logs if entry["event"] == "http.request"]
    assert line["correlation_id"] == str(correlation) and line["route"] == "/v1/whoami"
    assert "secret.agent" not in repr(logs) and "Dupont" not in repr(logs)
