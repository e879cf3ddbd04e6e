"""Money under load: 60 approvals racing for a 2 M€ envelope, a repeated Idempotency-Key, and a
restart of the service mid-load. The event store and both read models must agree to the cent."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from campus_funding.bootstrap import create_app
from campus_service.testing import eventually, serve

from .conftest import ENVELOPE, project_known, publish_project, request_body

GRANT = 10_000_000  # 100,000 €
AMOUNT = ENVELOPE["amount_cents"]  # 2 M€: room for exactly 20 grants


async def prepare(client, committee, manager, project_ids):
    """An envelope and one request under review per project (a project is funded through one)."""
    envelope = (await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)).json()
    created = await asyncio.gather(
        *(
            client.post(
                "/v1/funding-requests", json=request_body(project_id, envelope["id"]), headers=manager
            )
            for project_id in project_ids
        )
    )
    ids = [r.json()["id"] for r in created]
    reviews = await asyncio.gather(
        *(client.post(f"/v1/funding-requests/{rid}/start-review", headers=committee) for rid in ids)
    )
    assert {r.status_code for r in reviews} == {200}
    return envelope["id"], ids


def approve(client, committee, rid, key=None):
    headers = {**committee, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"/v1/funding-requests/{rid}/approve", json={"granted_cents": GRANT}, headers=headers)


async def recorded_reservations(app, envelope_id):
    async with app.state.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT data FROM events WHERE stream = $1 AND type = 'EnvelopeFundsReserved'",
            f"envelope-{envelope_id}",
        )
    return [r["data"]["amount_cents"] for r in rows]


async def assert_books_balance(app, client, committee, envelope_id, reserved):
    """The envelope's projection and the ledger both show exactly ``reserved``."""

    async def caught_up():
        body = (await client.get(f"/v1/envelopes/{envelope_id}", headers=committee)).json()
        return body if body["reserved_cents"] == reserved else None

    envelope = await eventually(caught_up)
    assert envelope["available_cents"] == AMOUNT - reserved
    ledger = (
        await client.get(f"/v1/envelopes/{envelope_id}/ledger", params={"limit": 500}, headers=committee)
    ).json()
    assert sum(e["amount_cents"] for e in ledger["items"] if e["kind"] == "reserved") == reserved
    assert ledger["reserved_cents"] == envelope["reserved_cents"]
    assert len({e["event_id"] for e in ledger["items"]}) == len(ledger["items"])


async def sixty_approvals(app, client, committee, manager, publish):
    projects = await asyncio.gather(*(publish() for _ in range(60)))
    envelope_id, ids = await prepare(client, committee, manager, projects)
    responses = await asyncio.gather(*(approve(client, committee, rid) for rid in ids))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 20, 409: 40}, statuses
    refused = [r.json() for r in responses if r.status_code == 409]
    assert all("available" in p["detail"] for p in refused)
    assert sum(await recorded_reservations(app, envelope_id)) == AMOUNT
    await assert_books_balance(app, client, committee, envelope_id, AMOUNT)


async def test_sixty_concurrent_approvals_grant_exactly_the_envelope(
    app, client, committee, manager, publish
):
    await sixty_approvals(app, client, committee, manager, publish)


@pytest.mark.soak
@pytest.mark.parametrize("repetition", range(5))
async def test_sixty_concurrent_approvals_soak(app, client, committee, manager, publish, repetition):
    await sixty_approvals(app, client, committee, manager, publish)


async def test_the_same_approval_twice_with_one_key_reserves_once(app, client, committee, manager, publish):
    project_id = await publish()
    envelope_id, (rid,) = await prepare(client, committee, manager, [project_id])
    key = str(uuid.uuid4())
    first, second = await asyncio.gather(
        approve(client, committee, rid, key), approve(client, committee, rid, key)
    )
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    third = await approve(client, committee, rid, key)
    assert third.status_code == 200 and third.headers["idempotent-replayed"] == "true"
    assert await recorded_reservations(app, envelope_id) == [GRANT]
    await assert_books_balance(app, client, committee, envelope_id, GRANT)


async def test_the_envelope_survives_a_restart_mid_load(settings, nats_server, committee, manager, ministry):
    """Approvals in flight when the service stops: clients retry with their keys on the new process."""
    first_app = create_app(settings)
    async with serve(first_app) as client:
        projects = [await publish_project(nats_server.url, ministry) for _ in range(30)]
        await asyncio.gather(*(project_known(first_app, p) for p in projects))
        envelope_id, ids = await prepare(client, committee, manager, projects)
        keys = {rid: f"approve-{rid}" for rid in ids}
        in_flight = [asyncio.create_task(approve(client, committee, rid, keys[rid])) for rid in ids]
        await eventually(lambda: asyncio.sleep(0, sum(t.done() for t in in_flight) >= 5), interval=0.001)
        # Like a killed process: the requests still running are cut off mid-flight.
        for task in in_flight:
            task.cancel()
        outcomes = await asyncio.gather(*in_flight, return_exceptions=True)
    # Each approval either made it (with its key) or left nothing behind: the append is atomic.
    assert any(isinstance(o, asyncio.CancelledError) for o in outcomes)

    second_app = create_app(settings)
    async with serve(second_app) as client:
        retried = await asyncio.gather(*(approve(client, committee, rid, keys[rid]) for rid in ids))
        statuses = Counter(r.status_code for r in retried)
        assert statuses == {200: 20, 409: 10}, statuses
        reservations = await recorded_reservations(second_app, envelope_id)
        assert len(reservations) == 20 and sum(reservations) == AMOUNT
        await assert_books_balance(second_app, client, committee, envelope_id, AMOUNT)
