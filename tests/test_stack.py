"""The development stack as `make run` starts it (on free ports): five services ready, tokens accepted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

CAMPUS = Path(sys.executable).parent / "campus"


def campus_cli(stack, *args: str) -> str:
    return cli_run(stack, *args, check=True).stdout


def cli_run(stack, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAMPUS_HOME": str(stack.root)}
    return subprocess.run(
        [str(CAMPUS), *args], env=env, capture_output=True, text=True, timeout=60, check=check
    )


def test_all_five_services_are_ready(stack):
    for name, service in stack.services.items():
        ready = httpx.get(f"{service.url}/health/ready", timeout=5)
        assert ready.status_code == 200, (name, ready.text)
        doc = httpx.get(f"{service.url}/openapi.json", timeout=5).json()
        assert doc["info"]["title"].lower().find(name) >= 0


def test_a_token_from_the_cli_is_accepted(stack):
    token = campus_cli(stack, "token", "--role", "funding_committee", "--ministry", "dinum").strip()
    assert token.count(".") == 2 and "\n" not in token
    url = f"{stack.services['funding'].url}/v1/envelopes"
    assert httpx.get(url, timeout=5).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer x.y.z"}, timeout=5).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200


def test_status_reports_every_service(stack):
    out = campus_cli(stack, "status", "--json")
    import json

    report = json.loads(out)
    assert set(report["services"]) == set(stack.services)
    assert all(s["ready"] for s in report["services"].values())


def test_nats_user_prints_bare_credentials(stack):
    line = campus_cli(stack, "nats-user", "--ministry", "mefsin").strip()
    user, _, password = line.partition(":")
    assert user == "ministry-mefsin" and len(password) >= 16


def test_streams_lists_the_five_contexts(stack):
    rows = json.loads(campus_cli(stack, "streams", "--json"))
    assert {r["stream"] for r in rows} >= {
        f"CAMPUS_{c}" for c in ("CATALOG", "ENROLLMENT", "PROJECTS", "FUNDING", "TRAINERS")
    }


async def test_a_poison_message_shows_in_dead_letters_and_can_be_dropped(stack):
    from campus_events import bus

    nc = await bus.connect(stack.operator_nats_url(), name="test")
    try:
        await nc.jetstream().publish("campus.catalog.public.course.CourseProposed", b"{poison")
    finally:
        await nc.close()

    async def dead_in_enrollment():
        rows = json.loads(campus_cli(stack, "dead-letters", "list", "enrollment", "--json"))
        return [r for r in rows if r["subject"] == "campus.catalog.public.course.CourseProposed"]

    from campus_service.testing import eventually

    rows = await eventually(dead_in_enrollment, within=10)
    assert "undecodable" in rows[0]["error"]
    out = campus_cli(stack, "dead-letters", "drop", "enrollment", *[str(r["id"]) for r in rows])
    assert out.strip() == f"{len(rows)} dropped"
    assert await dead_in_enrollment() == []
    # Ids that are not there (dropped already, mistyped) are said, not "0 dropped" in silence.
    gone = str(rows[0]["id"])
    for command in (["drop", "enrollment", gone], ["retry", "enrollment", gone, gone]):
        done = cli_run(stack, "dead-letters", *command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert done.stderr.strip() == f"#{gone}: no such dead letter in campus_enrollment", done.stderr
        assert done.stdout.strip() in ("0 dropped", "0 applied, 0 still failing"), done.stdout
