"""``GET /v1/audit``: the state changes of a service's event store, newest first, with who did them;
admins and the Campus staff see all, a manager only their ministry's, other roles nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta


def ministry() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


CORRELATION = str(uuid.uuid4())


async def open_projects(client, tokens, own: str, manager: uuid.UUID, n: int) -> list[str]:
    ids = []
    for i in range(n):
        headers = {
            **tokens.auth(roles=["manager"], ministry=own, sub=manager),
            "X-Correlation-Id": CORRELATION,
        }
        body = {"title": f"P{i}", "team_size": 2}
        r = await client.post(f"/v1/ministries/{own}/projects", json=body, headers=headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def test_the_audit_lists_who_changed_what_newest_first(client, tokens):
    own, other, manager = ministry(), ministry(), uuid.uuid4()
    since = datetime.now(UTC) - timedelta(seconds=5)
    ids = await open_projects(client, tokens, own, manager, 3)
    await open_projects(client, tokens, other, uuid.uuid4(), 1)

    admin = tokens.auth(roles=["admin"], ministry="dinum")
    r = await client.get("/v1/audit", params={"actor": str(manager)}, headers=admin)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["aggregate_id"] for i in items] == ids[::-1]  # newest first
    first = items[-1]
    assert first["type"] == "ProjectOpened" and first["stream"] == f"project-{ids[0]}"
    assert (first["actor_id"], first["actor_role"], first["ministry"]) == (str(manager), "manager", own)
    assert first["correlation_id"] == CORRELATION and first["stream_version"] == 1
    assert datetime.fromisoformat(first["time"]) >= since

    # Cursor paging walks the same entries, one page at a time, without repeats.
    seen, cursor = [], None
    while True:
        params = {"actor": str(manager), "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/audit", params=params, headers=admin)).json()
        seen += [i["event_id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [i["event_id"] for i in items]

    # Filters combine: stream, type, since.
    one = {"stream": f"project-{ids[1]}", "type": "ProjectOpened"}
    r = await client.get("/v1/audit", params=one, headers=admin)
    assert [i["aggregate_id"] for i in r.json()["items"]] == [ids[1]]
    r = await client.get(
        "/v1/audit", params={"actor": str(manager), "type": "ProjectAbandoned"}, headers=admin
    )
    assert r.json()["items"] == []
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert (await client.get("/v1/audit", params={"since": later}, headers=admin)).json()["items"] == []

    # A manager sees their own ministry's changes only; the Campus staff sees every ministry.
    mine = await client.get("/v1/audit?limit=500", headers=tokens.auth(roles=["manager"], ministry=own))
    assert {i["ministry"] for i in mine.json()["items"]} == {own}
    assert len(mine.json()["items"]) == 3
    theirs = await client.get("/v1/audit?limit=500", headers=tokens.auth(roles=["manager"], ministry=other))
    assert {i["ministry"] for i in theirs.json()["items"]} == {other}
    staff = await client.get("/v1/audit?limit=500", headers=tokens.auth(roles=["campus_staff"]))
    assert {own, other} <= {i["ministry"] for i in staff.json()["items"]}


async def test_the_audit_is_refused_to_other_roles_and_checks_its_filters(client, tokens):
    assert (await client.get("/v1/audit")).status_code == 401
    for role in ("agent", "funding_committee"):
        assert (await client.get("/v1/audit", headers=tokens.auth(roles=[role]))).status_code == 403
    no_ministry = tokens.auth(roles=["manager"], ministry=None)
    assert (await client.get("/v1/audit", headers=no_ministry)).status_code == 403
    admin = tokens.auth(roles=["admin"])
    bad_filters = (
        {"cursor": "abc"},
        {"actor": "x"},
        {"limit": 501},
        {"type": "Drop Table"},
        {"since": "hier"},
    )
    for bad in bad_filters:
        r = await client.get("/v1/audit", params=bad, headers=admin)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
