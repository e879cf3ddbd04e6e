"""The trainers service starts on real PostgreSQL and NATS, and serves its documents."""

from __future__ import annotations

from campus_service.testing import TokenFactory, serve
from campus_trainers.bootstrap import create_app
from campus_trainers.config import Settings


async def test_ready_with_its_documents(database_url, nats_server):
    settings = Settings(
        database_url=database_url, nats_url=nats_server.url, jwt_public_key=TokenFactory().public_pem
    )
    async with serve(create_app(settings)) as client:
        ready = (await client.get("/health/ready")).json()
        assert ready["status"] == "ready" and ready["service"] == "trainers"
        assert (await client.get("/health/live")).status_code == 200
        document = (await client.get("/openapi.json")).json()
        assert document["info"]["title"] == "Campus trainers"
        assert (await client.get("/docs")).status_code == 200
        assert "campus_service_info" in (await client.get("/metrics")).text


def test_default_port(monkeypatch):
    for variable in ("CAMPUS_PORT", "CAMPUS_TRAINERS_PORT"):
        monkeypatch.delenv(variable, raising=False)
    assert Settings().port == 8105
