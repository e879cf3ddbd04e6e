"""Activities: at most 24 hours a day per trainer, only the trainer or staff, yearly totals and CSV."""

from __future__ import annotations

import csv
import io
import uuid

from campus_service.testing import eventually


async def test_activities_limits_access_and_totals(client, tokens):
    me, peer = uuid.uuid4(), uuid.uuid4()
    auth = tokens.auth(roles=["agent"], ministry="mefsin", sub=me)
    peer_auth = tokens.auth(roles=["agent"], ministry="minarm", sub=peer)
    staff = tokens.auth(roles=["campus_staff"], ministry="dinum")
    for who in (auth, peer_auth):
        registered = await client.post(
            "/v1/trainers", json={"kind": "internal", "expertise": ["data"]}, headers=who
        )
        assert registered.status_code == 201
    url = f"/v1/trainers/{me}/activities"

    for bad in ({"hours": 0}, {"hours": -1}, {"hours": 25}, {"minutes": 0}, {"minutes": 1441}, {}):
        response = await client.post(
            url, json={"kind": "face_to_face", "day": "2025-04-03", **bad}, headers=auth
        )
        assert response.status_code == 422, (bad, response.text)
    future = await client.post(
        url, json={"kind": "evaluation", "day": "2999-01-01", "hours": 1}, headers=auth
    )
    assert future.status_code == 422 and [e["field"] for e in future.json()["errors"]] == ["day"]

    logged = await client.post(
        url, json={"kind": "face_to_face", "day": "2025-04-03", "hours": 20}, headers=auth
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["minutes"] == 1200 and logged.json()["day_total_minutes"] == 1200
    too_much = await client.post(
        url, json={"kind": "evaluation", "day": "2025-04-03", "hours": 4.5}, headers=auth
    )
    assert too_much.status_code == 422 and "24 hours" in too_much.json()["detail"]
    assert [e["field"] for e in too_much.json()["errors"]] == ["minutes"]  # hours are counted in minutes
    by_staff = await client.post(
        url, json={"kind": "evaluation", "day": "2025-04-03", "minutes": 240}, headers=staff
    )
    assert by_staff.status_code == 201 and by_staff.json()["day_total_minutes"] == 1440
    course = str(uuid.uuid4())
    await client.post(
        url,
        json={"kind": "pedagogical_engineering", "day": "2025-05-10", "minutes": 90, "course_id": course},
        headers=auth,
    )
    await client.post(
        f"/v1/trainers/{peer}/activities",
        json={"kind": "face_to_face", "day": "2025-01-02", "hours": 3},
        headers=peer_auth,
    )
    await client.post(url, json={"kind": "face_to_face", "day": "2024-12-31", "hours": 2}, headers=auth)

    # Another trainer's activities: neither readable nor writable.
    assert (await client.get(url, headers=peer_auth)).status_code == 403
    assert (await client.post(url, json={"bad": True}, headers=peer_auth)).status_code == 403
    assert (await client.get("/v1/activities/export.csv", headers=auth)).status_code == 403
    assert (
        await client.post(
            f"/v1/trainers/{uuid.uuid4()}/activities",
            json={"kind": "evaluation", "day": "2025-01-01", "hours": 1},
            headers=staff,
        )
    ).status_code == 404

    async def year_2025():
        page = (await client.get(url, params={"year": 2025}, headers=auth)).json()
        return page if len(page["items"]) == 3 else None

    page = await eventually(year_2025)
    assert page["totals_minutes"] == {
        "pedagogical_engineering": 90,
        "face_to_face": 1200,
        "evaluation": 240,
        "total": 1530,
    }
    assert page["items"][-1]["course_id"] == course

    async def both_ministries():  # the peer's hours are projected on their own schedule
        totals = (await client.get("/v1/activities/totals", params={"year": 2025}, headers=staff)).json()
        ministries = {m["ministry"]: m for m in totals["ministries"]}
        return ministries if {"mefsin", "minarm"} <= set(ministries) else None

    by_ministry = await eventually(both_ministries)
    assert by_ministry["mefsin"]["totals_minutes"]["total"] == 1530
    assert by_ministry["minarm"]["trainers"][str(peer)]["face_to_face"] == 180

    export = await client.get("/v1/activities/export.csv", params={"year": 2025}, headers=staff)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    mine = next(r for r in rows if r["trainer_id"] == str(me))
    assert mine["ministry"] == "mefsin" and mine["total_minutes"] == "1530" and mine["total_hours"] == "25.50"
    assert {r["year"] for r in rows} == {"2025"}


async def test_minutes_are_a_json_integer(client, tokens):
    # "60", 60.0 or true (taken for one minute) was coerced: a 422 naming minutes, as in funding.
    me = uuid.uuid4()
    auth = tokens.auth(roles=["agent"], ministry="mefsin", sub=me)
    registered = await client.post(
        "/v1/trainers", json={"kind": "internal", "expertise": ["data"]}, headers=auth
    )
    assert registered.status_code == 201, registered.text
    url = f"/v1/trainers/{me}/activities"
    for minutes in ("60", True, 60.0, 1.5):
        r = await client.post(
            url, json={"kind": "face_to_face", "day": "2025-04-03", "minutes": minutes}, headers=auth
        )
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        assert [e["field"] for e in r.json()["errors"]] == ["minutes"], (minutes, r.json())
    logged = await client.post(
        url, json={"kind": "face_to_face", "day": "2025-04-03", "minutes": 60}, headers=auth
    )
    assert logged.status_code == 201 and logged.json()["minutes"] == 60, logged.text
    for hours in ("1.5", True):  # hours: any JSON number, not a string nor a boolean
        r = await client.post(
            url, json={"kind": "face_to_face", "day": "2025-04-04", "hours": hours}, headers=auth
        )
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["hours"], r.text
    for hours, minutes in ((1.5, 90), (2, 120)):
        r = await client.post(
            url, json={"kind": "face_to_face", "day": "2025-04-04", "hours": hours}, headers=auth
        )
        assert r.status_code == 201 and r.json()["minutes"] == minutes, r.text
