"""Enrolments over HTTP on real PostgreSQL and NATS: rules, waitlists, reactions to the catalogue."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime, timedelta

from campus_enrollment import reactions
from campus_events.contracts.catalog import LearningPathPublished
from campus_events.envelope import envelope_for
from campus_service.testing import eventually


def agent(tokens, ministry="dinum", **claims):
    sub = uuid.uuid4()
    return sub, tokens.auth(roles=["agent"], ministry=ministry, sub=sub, **claims)


async def status_of(client, headers, enrollment_id):
    response = await client.get(f"/v1/enrollments/{enrollment_id}", headers=headers)
    return response.json().get("status") if response.status_code == 200 else None


async def test_who_may_enrol_whom(client, catalog, tokens):
    course = await catalog.course()
    session = await catalog.session(course, capacity=5)
    body = {"course_id": str(course), "session_id": str(session)}
    assert (await client.post("/v1/enrollments", json=body)).status_code == 401

    someone, someone_headers = agent(tokens, ministry="mefsin")
    assert (await client.get("/v1/me/enrollments", headers=someone_headers)).status_code == 200  # now known
    _, headers = agent(tokens)
    refused = await client.post("/v1/enrollments", json={**body, "agent_id": str(someone)}, headers=headers)
    assert refused.status_code == 403

    manager = tokens.auth(roles=["manager"], ministry="dinum")
    assert (
        await client.post("/v1/enrollments", json={**body, "agent_id": str(someone)}, headers=manager)
    ).status_code == 403  # issue #7: a manager cannot enrol an agent of another ministry
    unknown = await client.post(
        "/v1/enrollments", json={**body, "agent_id": str(uuid.uuid4())}, headers=manager
    )
    assert unknown.status_code == 404

    first = await client.post("/v1/enrollments", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "enrolled" and first.json()["waitlist_position"] is None
    assert first.headers["location"] == f"/v1/enrollments/{first.json()['id']}"
    twice = await client.post("/v1/enrollments", json=body, headers=headers)
    assert twice.status_code == 409 and twice.headers["content-type"] == "application/problem+json"

    own_manager = tokens.auth(roles=["manager"], ministry="mefsin")
    by_manager = await client.post(
        "/v1/enrollments", json={**body, "agent_id": str(someone)}, headers=own_manager
    )
    assert by_manager.status_code == 201 and by_manager.json()["agent_id"] == str(someone)
    assert by_manager.json()["ministry"] == "mefsin"

    invalid = await client.post("/v1/enrollments", json={**body, "extra": 1}, headers=headers)
    assert invalid.status_code == 422 and "extra" in invalid.json()["detail"]
    assert (
        await client.post("/v1/enrollments", json=body, headers=tokens.auth(roles=["funding_committee"]))
    ).status_code == 403
    needs_session = await client.post("/v1/enrollments", json={"course_id": str(course)}, headers=headers)
    assert needs_session.status_code == 422


async def test_waitlist_cancel_promote_and_capacity(client, catalog, tokens):
    course = await catalog.course()
    session = await catalog.session(course, capacity=2)
    body = {"course_id": str(course), "session_id": str(session)}
    people = [agent(tokens) for _ in range(5)]
    made = [(await client.post("/v1/enrollments", json=body, headers=h)).json() for _, h in people]
    assert [m["status"] for m in made] == ["enrolled"] * 2 + ["waitlisted"] * 3
    assert [m["waitlist_position"] for m in made[2:]] == [1, 2, 3]

    foreign = await client.post(f"/v1/enrollments/{made[0]['id']}/cancel", headers=people[1][1])
    assert foreign.status_code == 403
    cancelled = await client.post(f"/v1/enrollments/{made[0]['id']}/cancel", headers=people[0][1])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (
        await client.post(f"/v1/enrollments/{made[0]['id']}/cancel", headers=people[0][1])
    ).status_code == 409
    await eventually(lambda: _is(client, people[2][1], made[2]["id"], "enrolled"))

    async def line():
        r = await client.get(f"/v1/enrollments/{made[4]['id']}", headers=people[4][1])
        return r.json()["waitlist_position"] == 2

    await eventually(line)
    await catalog.resize(course, session, 4)
    await eventually(lambda: _is(client, people[4][1], made[4]["id"], "enrolled"))
    seats = (await client.get(f"/v1/sessions/{session}/seats")).json()
    assert (seats["capacity"], seats["enrolled"], seats["waitlisted"]) == (4, 4, 0)

    await catalog.cancel(course, session)
    for (_, headers), m in zip(people[1:], made[1:], strict=True):
        await eventually(lambda h=headers, m=m: _is(client, h, m["id"], "cancelled"))
    closed = await client.post("/v1/enrollments", json=body, headers=agent(tokens)[1])
    assert closed.status_code == 409


async def _is(client, headers, enrollment_id, status):
    return await status_of(client, headers, enrollment_id) == status


async def test_completion_attestation_rating_erasure_and_stats(client, catalog, tokens):
    import io

    from pypdf import PdfReader

    trainer = uuid.uuid4()
    await catalog.trainer(trainer)
    course = await catalog.course(title="Booster agile")
    session = await catalog.session(course, capacity=3, trainer_ids=[trainer])
    me, headers = agent(tokens, given_name="Jeanne", usual_name="Dupont", email="jeanne.dupont@example.fr")
    enrolment = (
        await client.post(
            "/v1/enrollments", json={"course_id": str(course), "session_id": str(session)}, headers=headers
        )
    ).json()
    url = f"/v1/enrollments/{enrolment['id']}"

    assert (await client.post(f"{url}/rating", json={"score": 5}, headers=headers)).status_code == 409
    assert (await client.post(f"{url}/complete", headers=headers)).status_code == 403
    trainer_headers = tokens.auth(roles=["agent"], ministry="dinum", sub=trainer)

    async def completed():
        r = await client.post(f"{url}/complete", headers=trainer_headers)
        return r if r.status_code == 200 else None  # the trainers projection may lag a little

    done = (await eventually(completed)).json()
    assert done["status"] == "completed" and done["attestation_id"]

    await eventually(lambda: _is(client, headers, enrolment["id"], "completed"))
    pdf = await client.get(f"{url}/attestation", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Jeanne Dupont" in text and "Booster agile" in text and done["attestation_id"] in text
    assert "02/03/2026" in text and "Campus du numérique public" in text
    # A later token without the identity claims does not forget the name.
    bare = tokens.auth(roles=["agent"], ministry="dinum", sub=me)
    assert (await client.get(url, headers=bare)).status_code == 200
    pdf = await client.get(f"{url}/attestation", headers=bare)
    assert "Jeanne Dupont" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert (await client.get(f"{url}/attestation", headers=agent(tokens)[1])).status_code == 403

    assert (await client.post(f"{url}/rating", json={"score": 9}, headers=headers)).status_code == 422
    rated = await client.post(f"{url}/rating", json={"score": 4, "comment": "Très utile"}, headers=headers)
    assert rated.status_code == 200 and rated.json()["score"] == 4

    async def rated_read():
        r = await client.get(url, headers=headers)
        return r.json() if r.json().get("score") == 4 else None

    # The answers carry the new state as a read gives it (CONTRACT), not nulls.
    shown = await eventually(rated_read)
    assert shown["enrolled_by"] == str(me) and shown["attestation_id"] == done["attestation_id"]
    assert rated.json() == shown and done == {**shown, "score": None, "comment": None}
    assert (await client.post(f"{url}/rating", json={"score": 4}, headers=headers)).status_code == 409

    async def stats_ready():
        r = await client.get("/v1/stats", headers=tokens.auth(roles=["manager"], ministry="dinum"))
        return r.json() if r.json()["ratings"] >= 1 else None

    stats = await eventually(stats_ready)
    assert stats["ministry"] == "dinum" and stats["completions"] == 1 and stats["agents_trained"] == 1
    assert stats["average_score"] == 4.0 and {t["theme"] for t in stats["by_theme"]} == {
        "data",
        "transformation-numerique",
    }
    assert [m["ministry"] for m in stats["by_ministry"]] == ["dinum"]
    other = await client.get(
        "/v1/stats?ministry=mefsin", headers=tokens.auth(roles=["manager"], ministry="dinum")
    )
    assert other.status_code == 403
    assert (await client.get("/v1/stats", headers=headers)).status_code == 403

    admin = tokens.auth(roles=["admin"], ministry="dinum")
    assert (await client.post(f"/v1/agents/{me}/erase", headers=headers)).status_code == 403
    erased = await client.post(f"/v1/agents/{me}/erase", headers=admin)
    assert erased.status_code == 200 and erased.json()["erased"] is True
    staff = tokens.auth(roles=["campus_staff"], ministry="dinum")
    text = (
        PdfReader(io.BytesIO((await client.get(f"{url}/attestation", headers=staff)).content))
        .pages[0]
        .extract_text()
    )
    assert f"agent {me}" in text and "Dupont" not in text
    async with client._transport.app.state.runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE data::text ILIKE '%dupont%'") == 0


async def test_a_rating_score_is_a_json_integer(client, catalog, tokens):
    # "4", 4.0 or true (taken for a score of 1) was coerced: a 422 naming the score, as in funding.
    course = await catalog.course()
    session = await catalog.session(course, capacity=3)
    _, headers = agent(tokens)
    body = {"course_id": str(course), "session_id": str(session)}
    enrolment = await client.post("/v1/enrollments", json=body, headers=headers)
    assert enrolment.status_code == 201, enrolment.text
    url = f"/v1/enrollments/{enrolment.json()['id']}/rating"
    for score in ("4", True, 4.0, 1.5):
        r = await client.post(url, json={"score": score}, headers=headers)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        assert [e["field"] for e in r.json()["errors"]] == ["score"], (score, r.json())
    # The body is read before the enrolment's state: a JSON integer passes, and this one is not completed.
    assert (await client.post(url, json={"score": 4}, headers=headers)).status_code == 409


async def test_self_paced_course(client, catalog, tokens):
    course = await catalog.course(pace="self_paced")
    _, headers = agent(tokens)

    async def enrolled():
        r = await client.post("/v1/enrollments", json={"course_id": str(course)}, headers=headers)
        return r if r.status_code == 201 else None

    first = (await eventually(enrolled)).json()
    assert first["status"] == "enrolled" and first["session_id"] is None
    assert (
        await client.post("/v1/enrollments", json={"course_id": str(course)}, headers=headers)
    ).status_code == 409
    assert (await client.post(f"/v1/enrollments/{first['id']}/cancel", headers=headers)).json()[
        "status"
    ] == "cancelled"
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    again = await client.post("/v1/enrollments", json={"course_id": str(course)}, headers=keyed)
    replay = await client.post("/v1/enrollments", json={"course_id": str(course)}, headers=keyed)
    assert again.status_code == replay.status_code == 201 and again.json() == replay.json()

    async def listed():
        r = await client.get("/v1/me/enrollments?limit=1", headers=headers)
        return r.json() if r.json()["next_cursor"] else None

    page = await eventually(listed)
    rest = (await client.get(f"/v1/me/enrollments?cursor={page['next_cursor']}", headers=headers)).json()
    assert {i["id"] for i in page["items"] + rest["items"]} == {first["id"], again.json()["id"]}


async def test_a_learning_path_is_completed_with_its_last_course(app, client, catalog, tokens):
    courses = [await catalog.course(pace="self_paced") for _ in range(2)]
    await catalog.path(courses, published=False)  # a draft: not in the catalogue, never completed
    path = await catalog.path(courses)
    me, headers = agent(tokens)
    staff = tokens.auth(roles=["campus_staff"], ministry="dinum")

    async def enrolled(course):
        r = await client.post("/v1/enrollments", json={"course_id": str(course)}, headers=headers)
        return r.json() if r.status_code == 201 else None

    made = [await eventually(lambda c=c: enrolled(c)) for c in courses]
    for m in made:
        assert (await client.post(f"/v1/enrollments/{m['id']}/complete", headers=staff)).status_code == 200

    async def path_completed():
        async with app.state.runtime.pool.acquire() as conn:
            return await conn.fetch("SELECT data FROM events WHERE type = 'LearningPathCompleted'")

    (row,) = await eventually(path_completed)  # one reaction appends for every path at once
    assert row["data"]["path_id"] == str(path) and row["data"]["agent_id"] == str(me)
    assert row["data"]["enrollment_ids"] == [m["id"] for m in made]


async def test_a_path_published_after_its_courses_were_completed_is_completed(app, client, catalog, tokens):
    courses = [await catalog.course(pace="self_paced") for _ in range(2)]
    draft = await catalog.path(courses, published=False)
    me, headers = agent(tokens)
    other, other_headers = agent(tokens)
    staff = tokens.auth(roles=["campus_staff"], ministry="dinum")

    async def enrolled(course, who):
        r = await client.post("/v1/enrollments", json={"course_id": str(course)}, headers=who)
        return r.json() if r.status_code == 201 else None

    made = [await eventually(lambda c=c: enrolled(c, headers)) for c in courses]
    half = await eventually(lambda: enrolled(courses[0], other_headers))  # one course of two
    for m in [*made, half]:
        assert (await client.post(f"/v1/enrollments/{m['id']}/complete", headers=staff)).status_code == 200

    async def query(sql, *args):
        async with app.state.runtime.pool.acquire() as conn:
            return await conn.fetch(sql, *args)

    async def projected():  # the completions' own reaction has run: no path was published then
        rows = await query(
            "SELECT 1 FROM enrollments WHERE status = 'completed' AND agent_id = ANY($1)", [me, other]
        )
        return len(rows) == 3 or None

    await eventually(projected)
    assert await query("SELECT 1 FROM events WHERE type = 'LearningPathCompleted'") == []
    await catalog.publish(LearningPathPublished(path_id=draft), draft)  # the draft enters the catalogue
    later = await catalog.path(courses)  # and a new path over the same courses

    async def paths_completed():
        rows = await query("SELECT data FROM events WHERE type = 'LearningPathCompleted'")
        return rows if len(rows) == 2 else None

    rows = await eventually(paths_completed)
    assert {r["data"]["path_id"] for r in rows} == {str(draft), str(later)}
    assert {r["data"]["agent_id"] for r in rows} == {str(me)}  # not the agent with one course of two
    assert all(r["data"]["enrollment_ids"] == [m["id"] for m in made] for r in rows)
    await asyncio.sleep(0.5)  # a redelivery or a second reaction adds nothing
    assert len(await query("SELECT 1 FROM events WHERE type = 'LearningPathCompleted'")) == 2


async def test_no_completion_nor_attestation_before_the_session_starts(client, catalog, tokens):
    course = await catalog.course(title="Session à venir")
    later = await catalog.session(course, capacity=2, start=datetime.now(UTC) + timedelta(days=30))
    _, headers = agent(tokens)
    made = await client.post(
        "/v1/enrollments", json={"course_id": str(course), "session_id": str(later)}, headers=headers
    )
    assert made.status_code == 201, made.text
    staff = tokens.auth(roles=["campus_staff"], ministry="dinum")
    early = await client.post(f"/v1/enrollments/{made.json()['id']}/complete", headers=staff)
    assert early.status_code == 409 and "once its session has started" in early.json()["detail"]
    attestation = await client.get(f"/v1/enrollments/{made.json()['id']}/attestation", headers=headers)
    assert attestation.status_code in (404, 409), attestation.text  # none was issued


async def test_a_last_completion_and_its_paths_publication_at_the_same_moment_complete_it(app, client):
    """The two reactions run in two consumers' transactions. Without their shared lock each reads
    the other's table before the other commits: the completion sees no published path, the
    publication no completed course, and the path is never completed."""
    pool = app.state.runtime.pool
    me, courses, path = uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()], uuid.uuid4()
    rows = [(uuid.uuid4(), c, "completed" if i == 0 else "enrolled") for i, c in enumerate(courses)]
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO catalog_paths (path_id, course_ids) VALUES ($1, $2)", path, courses)
        await conn.executemany(
            "INSERT INTO enrollments (enrollment_id, stream, agent_id, ministry, course_id, status, enrolled_at,"
            " completed_at, version) VALUES ($1, 'enrollment-x', $4, 'dinum', $2, $3, now(), now(), 1)",
            [(*row, me) for row in rows],
        )
    cause = envelope_for(LearningPathPublished(path_id=path), path, ministry="dinum")
    async with pool.acquire() as completing, pool.acquire() as publishing:
        last = completing.transaction()
        await last.start()  # the consumer of enrolments applies the last CourseCompleted
        await completing.execute(
            "UPDATE enrollments SET status = 'completed' WHERE enrollment_id = $1", rows[1][0]
        )
        async with publishing.transaction():  # the consumer of the catalogue, at the same moment
            assert await reactions.path_published(publishing, path, cause) == 0  # not committed yet
            completion = asyncio.create_task(reactions.complete_paths(completing, me, courses[1], cause))
            await asyncio.sleep(0.3)
            assert not completion.done()  # it waits for the publication's commit
        await completion
        await last.commit()
        events = await completing.fetch("SELECT data FROM events WHERE type = 'LearningPathCompleted'")
    assert [e["data"]["path_id"] for e in events] == [str(path)]


async def test_a_sessions_trainer_lists_its_roster_to_record_completions(client, catalog, tokens):
    trainer, unregistered = uuid.uuid4(), uuid.uuid4()
    await catalog.trainer(trainer)
    course = await catalog.course(title="Roster")
    session = await catalog.session(course, capacity=2, trainer_ids=[trainer, unregistered])
    agents = [agent(tokens) for _ in range(3)]
    made = []
    for _, headers in agents:  # two seats: the third waits
        r = await client.post(
            "/v1/enrollments", json={"course_id": str(course), "session_id": str(session)}, headers=headers
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    staff = tokens.auth(roles=["campus_staff"], ministry="dinum")
    as_trainer = tokens.auth(roles=["agent"], ministry="mefsin", sub=trainer)  # another ministry's trainer
    url = f"/v1/sessions/{session}/enrollments"

    async def listed():
        r = await client.get(url, headers=staff)
        return r.json() if len(r.json()["items"]) == 3 else None

    everyone = await eventually(listed)
    assert [i["id"] for i in everyone["items"]] == [m["id"] for m in made]  # in enrolment order
    assert [i["status"] for i in everyone["items"]] == ["enrolled", "enrolled", "waitlisted"]
    assert everyone["items"][2]["waitlist_position"] == 1 and everyone["next_cursor"] is None
    first = (await client.get(f"{url}?limit=2", headers=staff)).json()
    rest = (await client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=staff)).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [m["id"] for m in made]
    for forged in (
        f"0001-01-01T00:00:00+14:00|{uuid.uuid4()}",
        "not a cursor",
        f"9999-12-31T23:59:59-14:00|{uuid.uuid4()}",
    ):
        cursor = base64.urlsafe_b64encode(forged.encode()).decode()
        for listing in (url, "/v1/me/enrollments"):  # an instant with no UTC equivalent was a 500
            r = await client.get(f"{listing}?cursor={cursor}", headers=staff)
            assert r.status_code == 422 and "cursor" in r.json()["detail"], (forged, listing, r.text)
    waiting = (await client.get(f"{url}?status=waitlisted", headers=staff)).json()
    assert [i["id"] for i in waiting["items"]] == [made[2]["id"]]
    assert (await client.get(f"{url}?status=lost", headers=staff)).status_code == 422

    async def trainers_roster():  # the trainers projection may lag a little
        r = await client.get(f"{url}?status=enrolled", headers=as_trainer)
        return r if r.status_code == 200 else None

    seen = (await eventually(trainers_roster)).json()
    for item in seen["items"]:
        done = await client.post(f"/v1/enrollments/{item['id']}/complete", headers=as_trainer)
        assert done.status_code == 200, done.text
    await eventually(lambda: _is(client, agents[0][1], made[0]["id"], "completed"))
    rated = await client.post(f"/v1/enrollments/{made[0]['id']}/rating", json={"score": 2, "comment": "Bof"},
                              headers=agents[0][1])  # fmt: skip
    assert rated.status_code == 200

    async def rating_projected():
        r = await client.get(url, headers=staff)
        return r.json() if r.json()["items"][0]["comment"] == "Bof" else None

    assert (await eventually(rating_projected))["items"][0]["score"] == 2  # the staff sees ratings
    for item in (await client.get(url, headers=as_trainer)).json()["items"]:
        assert item["score"] is None and item["comment"] is None  # not the trainer's to read

    refused = [
        await client.get(url, headers=agents[0][1]),  # an agent of the session
        await client.get(url, headers=tokens.auth(roles=["agent"], ministry="dinum", sub=unregistered)),
        await client.get(url, headers=tokens.auth(roles=["manager"], ministry="dinum")),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403], [r.text for r in refused]
    assert (await client.get(url)).status_code == 401
    assert (await client.get(f"/v1/sessions/{uuid.uuid4()}/enrollments", headers=staff)).status_code == 404
