"""``make run``'s seeder: the catalogue through the HTTP API as campus_staff, idempotently.

Every request carries an ``Idempotency-Key`` derived from the item, so a second run replays the
first answers and changes nothing. ``ctx`` is ``campus_cli.devrun.SeedContext`` (duck-typed).
"""

from __future__ import annotations

from typing import Any

from .seed_data import COURSES, PATHS, SESSIONS


def seed(ctx: Any) -> None:
    base = ctx.urls["catalog"].rstrip("/")
    staff = ctx.headers("campus_staff")

    def post(path: str, key: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = ctx.client.post(
            f"{base}{path}", json=body, headers={**staff, "Idempotency-Key": f"seed:{key}"}
        )
        if response.status_code >= 400:
            raise RuntimeError(f"seeding catalog: POST {path} → {response.status_code} {response.text}")
        return response.json()  # type: ignore[no-any-return]

    ids: dict[str, str] = {}
    for course in COURSES:
        body = {k: v for k, v in course.items() if k != "key"}
        ids[course["key"]] = post("/v1/courses", f"course:{course['key']}", body)["id"]
        post(f"/v1/courses/{ids[course['key']]}/publish", f"publish:{course['key']}")
    for session in SESSIONS:
        body = {k: v for k, v in session.items() if k not in ("key", "course")}
        post(f"/v1/courses/{ids[session['course']]}/sessions", f"session:{session['key']}", body)
    for path in PATHS:
        body = {k: v for k, v in path.items() if k not in ("key", "courses")}
        body["course_ids"] = [ids[c] for c in path["courses"]]
        created = post("/v1/learning-paths", f"path:{path['key']}", body)
        post(f"/v1/learning-paths/{created['id']}/publish", f"path-publish:{path['key']}")
