"""Projections are correct when a consumer replays events it already applied (redelivery,
``campus replay``): totals, ledger rows and request rows do not move."""

from __future__ import annotations

from campus_funding.projections import apply_funding, apply_project
from campus_service.testing import eventually

from .conftest import ENVELOPE, request_body


async def snapshot(conn):
    return (
        [dict(r) for r in await conn.fetch("SELECT * FROM funding_envelopes ORDER BY seq")],
        [dict(r) for r in await conn.fetch("SELECT * FROM funding_ledger ORDER BY seq")],
        [dict(r) for r in await conn.fetch("SELECT * FROM funding_requests ORDER BY seq")],
        [dict(r) for r in await conn.fetch("SELECT * FROM funding_projects ORDER BY project_id")],
    )


async def test_replaying_every_event_changes_nothing(app, client, committee, manager, publish):
    project_id = await publish()
    envelope = (await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)).json()
    rid = (
        await client.post(
            "/v1/funding-requests", json=request_body(project_id, envelope["id"]), headers=manager
        )
    ).json()["id"]
    base = f"/v1/funding-requests/{rid}"
    await client.post(f"{base}/start-review", headers=committee)
    await client.post(f"{base}/approve", json={"granted_cents": 9_000_000}, headers=committee)
    await client.post(f"{base}/disbursements", json={"amount_cents": 4_000_000}, headers=committee)
    await client.post(f"{base}/release", headers=committee)

    async def settled():
        r = await client.get(base, headers=committee)
        return r.status_code == 200 and r.json()["status"] == "closed"

    await eventually(settled)
    store, pool = app.state.runtime.store, app.state.runtime.pool
    events = [e for e in await store.read_all(limit=10_000)]
    async with pool.acquire() as conn:
        before = await snapshot(conn)
        async with conn.transaction():
            for event in events:  # the store's copies carry the same ids and versions as JetStream's
                await apply_funding(conn, event)
                await apply_project(conn, event)
        assert await snapshot(conn) == before
    (row,) = before[0]
    assert (row["reserved_cents"], row["disbursed_cents"]) == (4_000_000, 4_000_000)
