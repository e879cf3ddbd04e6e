"""The catalog on real PostgreSQL and NATS: lifecycle, French search with facets, sessions, paths, 422s."""

from __future__ import annotations

import base64
import json
import uuid

import nats

from campus_events.contracts.trainers import TrainerRegistered, TrainerWithdrawn
from campus_events.envelope import envelope_for
from campus_service.testing import eventually

SECNUM = {
    "title": "SecNumacadémie",
    "kind": "mooc",
    "summary": "Le MOOC de l'ANSSI pour s'initier à la sécurité du numérique.",
    "modality": "online",
    "themes": ["cybersecurite"],
    "sub_themes": ["sensibilisation"],
    "objectives": ["Protéger ses usages numériques"],
    "organizers": ["ANSSI"],
    "audiences": ["Tous les agents"],
}
DATA = {
    "title": "Piloter par les données",
    "kind": "formation",
    "summary": "Gouvernance et valorisation des données publiques.",
    "modality": "hybrid",
    "themes": ["data"],
    "organizers": ["DINUM"],
    "audiences": ["Managers"],
}
DATA_ONLINE = {
    **DATA,
    "title": "Les données ouvertes",
    "modality": "online",
    "summary": "Ouvrir ses données.",
}


async def publish(client, staff, body):
    created = await client.post("/v1/courses", json=body, headers=staff)
    assert created.status_code == 201, created.text
    course = created.json()
    assert created.headers["location"] == f"/v1/courses/{course['id']}" and course["status"] == "proposed"
    published = await client.post(f"/v1/courses/{course['id']}/publish", headers=staff)
    assert published.status_code == 200 and published.json()["status"] == "published"
    return course["id"]


async def listed(client, **params):
    return (await client.get("/v1/courses", params=params)).json()


async def test_search_lifecycle_and_facets(client, tokens):
    staff = tokens.auth(roles=["campus_staff"])
    secnum = await publish(client, staff, SECNUM)
    data = await publish(client, staff, DATA)
    data_online = await publish(client, staff, DATA_ONLINE)
    page = await eventually(lambda: _with_total(client, 3), within=5)
    assert page["facets"]["theme"] == {"data": 2, "cybersecurite": 1}

    found = await listed(client, q="securite")
    assert [c["id"] for c in found["items"]] == [secnum]
    assert [c["id"] for c in (await listed(client, q="SÉCURITÉS"))["items"]] == [secnum]
    assert {c["id"] for c in (await listed(client, q="donnees"))["items"]} == {data, data_online}
    combined = await listed(client, q="donnees", modality="online")
    assert [c["id"] for c in combined["items"]] == [data_online]
    assert combined["total"] == 1 and combined["facets"]["modality"] == {"online": 1}
    for facet, counts in (await listed(client, q="donnees"))["facets"].items():
        if facet in ("kind", "modality"):
            assert sum(counts.values()) == 2
    assert (await listed(client, theme="data", limit=1))["next_cursor"]
    forged = base64.urlsafe_b64encode(json.dumps({"o": 10**30}).encode()).decode()  # beyond a bigint: a 500
    for listing in ("/v1/courses", "/v1/learning-paths"):
        assert (await client.get(listing, params={"cursor": forged})).status_code == 422

    archived = await client.post(f"/v1/courses/{data}/archive", headers=staff)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    await eventually(lambda: _with_total(client, 2), within=5)
    still = await client.get(f"/v1/courses/{data}")
    assert still.status_code == 200 and still.json()["status"] == "archived"
    again = await client.post(f"/v1/courses/{data}/publish", headers=staff)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"

    csv = await client.get("/v1/courses/export.csv")
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("id,titre,type")
    assert "SecNumacadémie" in csv.text
    themes = (await client.get("/v1/themes")).json()
    assert len(themes) == 9 and next(t for t in themes if t["slug"] == "cybersecurite")["course_count"] == 1


async def test_search_answers_are_kept_until_the_catalogue_changes(client, app, tokens):
    staff = tokens.auth(roles=["campus_staff"])
    cache = app.state.search_cache
    secnum = await publish(client, staff, SECNUM)
    await eventually(lambda: _with_total(client, 1), within=5)

    misses = cache.misses
    first = await client.get("/v1/courses", params={"q": "securite"})
    hits = cache.hits
    second = await client.get("/v1/courses", params={"q": "securite"})
    assert cache.hits == hits + 1 and cache.misses == misses + 1  # asked of PostgreSQL once
    assert second.content == first.content and second.headers["content-type"] == "application/json"
    assert [c["id"] for c in second.json()["items"]] == [secnum]
    assert second.json()["items"][0]["sessions"] == []  # the response model's whole form

    data = await publish(client, staff, DATA)  # the projection moves: the stored answers expire
    await eventually(lambda: _with_total(client, 2), within=5)
    misses = cache.misses
    assert [c["id"] for c in (await listed(client, q="securite"))["items"]] == [secnum]
    assert cache.misses == misses + 1
    assert [c["id"] for c in (await listed(client, q="donnees"))["items"]] == [data]


async def _with_total(client, total):
    page = await listed(client)
    return page if page["total"] == total else None


async def test_only_registered_trainers_propose_and_train(client, tokens, nats_server):
    trainer, other = uuid.uuid4(), uuid.uuid4()
    as_trainer = tokens.auth(roles=["agent"], sub=trainer)
    assert (await client.post("/v1/courses", json=SECNUM, headers=as_trainer)).status_code == 403
    assert (await client.post("/v1/courses", json=SECNUM)).status_code == 401
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        for event in (
            TrainerRegistered(trainer_id=trainer, ministry="dinum", kind="internal"),
            TrainerRegistered(trainer_id=other, ministry="minarm", kind="internal"),
            TrainerWithdrawn(trainer_id=other),
        ):
            env = envelope_for(event, event.trainer_id)
            env = env.model_copy(
                update={"stream_version": 1 if event.type_name() == "TrainerRegistered" else 2}
            )
            await js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})
    finally:
        await nc.close()

    async def proposed():
        r = await client.post("/v1/courses", json=SECNUM, headers=as_trainer)
        return r if r.status_code == 201 else None

    course = (await eventually(proposed, within=5)).json()
    assert course["proposed_by"] == str(trainer)
    revised = await client.patch(
        f"/v1/courses/{course['id']}", json={"title": "SecNum 2"}, headers=as_trainer
    )
    assert revised.status_code == 200 and revised.json()["title"] == "SecNum 2"
    stranger = tokens.auth(roles=["agent"])
    assert (
        await client.patch(f"/v1/courses/{course['id']}", json={"title": "x"}, headers=stranger)
    ).status_code == 403

    staff = tokens.auth(roles=["campus_staff"])
    session = {
        "starts_at": "2030-03-01T09:00:00Z", "ends_at": "2030-03-01T12:00:00Z", "capacity": 12,
        "location": "DINUM, Paris", "trainer_ids": [str(trainer)],
    }  # fmt: skip
    created = await client.post(f"/v1/courses/{course['id']}/sessions", json=session, headers=staff)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    withdrawn = {**session, "trainer_ids": [str(other)]}
    assert (
        await client.post(f"/v1/courses/{course['id']}/sessions", json=withdrawn, headers=staff)
    ).status_code == 409
    changed = await client.patch(f"/v1/sessions/{sid}", json={"capacity": 20}, headers=staff)
    assert changed.status_code == 200 and changed.json()["capacity"] == 20
    bad = await client.patch(f"/v1/sessions/{sid}", json={"ends_at": "2030-02-01T00:00:00Z"}, headers=staff)
    assert bad.status_code == 422
    cancelled = await client.post(f"/v1/sessions/{sid}/cancel", headers=staff)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await client.post(f"/v1/sessions/{sid}/cancel", headers=staff)).status_code == 409

    path = {"title": "Reconversion vers la cybersécurité", "course_ids": [course["id"]],
            "target_job": "Analyste SOC", "reconversion": True}  # fmt: skip
    defined = await client.post("/v1/learning-paths", json=path, headers=staff)
    assert defined.status_code == 201 and defined.json()["status"] == "draft"
    pid = defined.json()["id"]
    assert (await client.post(f"/v1/learning-paths/{pid}/publish", headers=staff)).json()[
        "status"
    ] == "published"

    async def path_listed():
        items = (await client.get("/v1/learning-paths")).json()["items"]
        return [p for p in items if p["id"] == pid]

    assert (await eventually(path_listed, within=5))[0]["reconversion"] is True


async def test_bad_input_is_422_problem_naming_the_field(client, tokens):
    staff = tokens.auth(roles=["campus_staff"])
    cases = [
        ({**SECNUM, "themes": ["astrologie"]}, "themes"),
        ({**SECNUM, "title": "x" * 201}, "title"),
        ({**SECNUM, "summary": "x" * 4001}, "summary"),
        ({**SECNUM, "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        r = await client.post("/v1/courses", json=body, headers=staff)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()
    course = (await client.post("/v1/courses", json=SECNUM, headers=staff)).json()
    base = {
        "starts_at": "2030-03-01T09:00:00Z",
        "ends_at": "2030-03-01T12:00:00Z",
        "capacity": 5,
        "join_url": "https://webconf.example/x",
    }
    for body, field in (
        ({**base, "capacity": 0}, "capacity"),
        ({**base, "ends_at": "2030-03-01T08:00:00Z"}, "ends_at"),
        # Valid ISO instants with no UTC equivalent within years 1-9999 (were a 500).
        ({**base, "starts_at": "0001-01-01T00:00:00+05:00"}, "starts_at"),
        ({**base, "ends_at": "9999-12-31T23:00:00-05:00"}, "ends_at"),
    ):
        r = await client.post(f"/v1/courses/{course['id']}/sessions", json=body, headers=staff)
        assert r.status_code == 422 and any(e["field"] == field for e in r.json()["errors"]), r.json()
    session = await client.post(f"/v1/courses/{course['id']}/sessions", json=base, headers=staff)
    assert session.status_code == 201, session.text
    patch = f"/v1/sessions/{session.json()['id']}"
    for body, field in (
        ({"ends_at": "2030-03-01T08:00:00Z"}, "ends_at"),  # before the start it keeps
        ({"starts_at": "9999-12-31T23:00:00-05:00"}, "starts_at"),
    ):
        r = await client.patch(patch, json=body, headers=staff)
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.json()
    assert (await client.post("/v1/courses", json={"title": 3})).status_code == 401  # auth before body

    # Text PostgreSQL cannot store (NUL, an unpaired surrogate: JSON escapes) is a 422 naming its
    # field, before any state is looked at, after authentication.
    unstorable = json.dumps({**SECNUM, "title": "ab\u0000cd", "objectives": ["ok", "\ud800"]})
    json_headers = {**staff, "Content-Type": "application/json"}
    r = await client.post("/v1/courses", content=unstorable, headers=json_headers)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["title", "objectives.1"]
    r = await client.post("/v1/courses", content=unstorable, headers={"Content-Type": "application/json"})
    assert r.status_code == 401
    # Blank text and control characters (an ANSI escape) likewise, in every service (the kit).
    for body, field in (
        ({**SECNUM, "title": "   "}, "title"),
        ({**SECNUM, "summary": "a\u001b[2Jb"}, "summary"),
    ):
        r = await client.post("/v1/courses", json=body, headers=staff)
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.json()
    published = await publish(client, staff, {**DATA, "title": "Données et NUL"})
    r = await client.post(f"/v1/courses/{published}/reject", json={"reason": "a\u0000"}, headers=staff)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["reason"], r.json()
    # Routes whose body is optional (FastAPI's own handler) and JSON sent in UTF-16 alike.
    r = await client.post(f"/v1/courses/{published}/archive", json={"reason": "   "}, headers=staff)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["reason"], r.json()
    utf16 = json.dumps({**SECNUM, "title": "\u00a0\u3000"}).encode("utf-16")
    r = await client.post("/v1/courses", content=utf16, headers=json_headers)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["title"], r.json()
    agent = tokens.auth(roles=["agent"])
    assert (
        await client.post(f"/v1/courses/{course['id']}/sessions", json={}, headers=agent)
    ).status_code == 403


async def test_integers_and_booleans_are_not_coerced_from_other_json_types(client, tokens):
    # "60" or true was taken for 60 or 1, "yes" or 1 for true: a 422 naming the field, as in funding.
    staff = tokens.auth(roles=["campus_staff"])
    course = (await client.post("/v1/courses", json={**SECNUM, "duration_minutes": 60}, headers=staff)).json()
    session = {
        "starts_at": "2030-03-01T09:00:00Z", "ends_at": "2030-03-01T12:00:00Z", "capacity": 5,
        "join_url": "https://webconf.example/x",
    }  # fmt: skip
    created = await client.post(f"/v1/courses/{course['id']}/sessions", json=session, headers=staff)
    assert created.status_code == 201 and created.json()["capacity"] == 5, created.text
    path = {"title": "Parcours", "course_ids": [course["id"]], "reconversion": True}
    integers = ("60", True, 1.5, 60.0)
    cases = [
        ("POST", "/v1/courses", SECNUM, "duration_minutes", integers),
        ("PATCH", f"/v1/courses/{course['id']}", {}, "duration_minutes", integers),
        ("POST", f"/v1/courses/{course['id']}/sessions", session, "capacity", integers),
        ("PATCH", f"/v1/sessions/{created.json()['id']}", {}, "capacity", integers),
        ("POST", "/v1/learning-paths", path, "reconversion", ("yes", "on", 1, 0)),
    ]
    for method, url, base, field, values in cases:
        for value in values:
            r = await client.request(method, url, json={**base, field: value}, headers=staff)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            assert [e["field"] for e in r.json()["errors"]] == [field], (method, url, value, r.json())
    assert course["duration_minutes"] == 60  # a JSON integer, and a boolean, still pass
    defined = await client.post("/v1/learning-paths", json=path, headers=staff)
    assert defined.status_code == 201 and defined.json()["reconversion"] is True, defined.text
