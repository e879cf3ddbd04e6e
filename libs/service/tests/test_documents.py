"""``/asyncapi.yaml`` and ``/schemas/…``: the service's own context, public, cacheable, problem+json 404."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import yaml

from campus_events.asyncapi import asyncapi_document, main, to_yaml
from campus_events.contracts.samples import sample_envelope, samples
from campus_events.registry import CONTEXTS, registry
from campus_service import ServiceSettings, create_app

DOCS = Path(__file__).parents[3] / "docs"
NO_CONTEXT = "webhooks"  # a service that publishes no events of its own


def client_for(service: str) -> httpx.AsyncClient:
    """The kit's app for ``service``, without its lifespan (these routes need no database)."""
    app = create_app(ServiceSettings(service_name=service), title=service)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


@pytest.fixture
async def funding() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for("funding") as client:
        yield client


@pytest.mark.parametrize("context", CONTEXTS)
async def test_each_service_serves_the_asyncapi_document_of_its_own_context(context, tmp_path):
    async with client_for(context) as client:
        response = await client.get("/asyncapi.yaml")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.text == to_yaml(asyncapi_document([context]))
    exported = tmp_path / "asyncapi.yaml"
    assert main([str(exported), "--context", context]) == 0
    assert exported.read_text(encoding="utf-8") == response.text
    document = yaml.safe_load(response.text)
    assert document["asyncapi"] == "3.0.0"
    addresses = [c["address"] for c in document["channels"].values()]
    assert len(addresses) == len(registry.by_context(context)) > 0
    assert all(a.startswith(f"campus.{context}.") for a in addresses)


@pytest.mark.parametrize("context", CONTEXTS)
async def test_each_service_serves_its_schemas_as_published_in_docs(context):
    async with client_for(context) as client:
        listing = (await client.get("/schemas/")).json()
        assert listing["context"] == context
        assert {(s["type"], s["version"]) for s in listing["schemas"]} == {
            (m.type_name(), m.version) for m in registry.by_context(context)
        }
        for entry in listing["schemas"]:
            response = await client.get(entry["url"])
            assert response.status_code == 200, entry
            assert response.headers["content-type"].startswith("application/schema+json")
            published = DOCS / "schemas" / f"{entry['type']}.v{entry['version']}.json"
            assert response.text == published.read_text(encoding="utf-8")
            assert response.json()["$id"] == entry["url"]


async def test_the_dataschema_of_an_event_resolves_on_the_service_that_publishes_it():
    for model, sample in samples().items():
        cloudevent = sample_envelope(sample).to_cloudevent()
        async with client_for(model.context) as client:
            response = await client.get(cloudevent["dataschema"])
        assert response.status_code == 200, cloudevent["dataschema"]
        assert response.json()["x-cloudevents-type"] == cloudevent["type"]


async def test_documents_are_cacheable_with_an_etag(funding):
    for path in ("/asyncapi.yaml", "/schemas/", "/schemas/FundingApproved.v1.json"):
        first = await funding.get(path)
        etag = first.headers["etag"]
        assert etag.startswith('"') and first.headers["cache-control"].startswith("public")

        again = await funding.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        weak = await funding.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
        assert weak.status_code == 304
        changed = await funding.get(path, headers={"If-None-Match": '"not-this-one"'})
        assert changed.status_code == 200 and changed.content == first.content


async def test_an_unknown_schema_is_a_404_problem(funding):
    for name in ("Nope.v1.json", "FundingApproved.v9.json", "CoursePublished.v1.json", "FundingApproved.v1"):
        response = await funding.get(f"/schemas/{name}")

        assert response.status_code == 404, name
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404 and name in response.json()["detail"]


async def test_a_path_ending_in_a_newline_is_no_route(funding):
    # Starlette's route patterns end in "$", which also matches before a final newline: without the
    # kit's guard "/schemas/%0A" was answered as the index "/schemas/" (the fuzzer found it).
    for path in ("/schemas/%0A", "/asyncapi.yaml%0A", "/health/live%0A", "/openapi.json%0a"):
        response = await funding.get(path)

        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json"), path
        assert response.json()["status"] == 404
        assert response.headers["X-Correlation-Id"]
    assert (await funding.get("/schemas/")).status_code == 200  # the route itself still answers


async def test_documents_need_no_token_even_with_a_forged_one(funding):
    forged = {"Authorization": f"Bearer not-a-token-{uuid4()}"}
    for path in ("/asyncapi.yaml", "/schemas/", "/schemas/EnvelopeOpened.v1.json"):
        assert (await funding.get(path)).status_code == 200
        assert (await funding.get(path, headers=forged)).status_code == 200


async def test_a_service_without_events_serves_a_document_with_no_channels():
    async with client_for(NO_CONTEXT) as client:
        document = yaml.safe_load((await client.get("/asyncapi.yaml")).text)
        listing = (await client.get("/schemas/")).json()
        unknown = await client.get("/schemas/FundingApproved.v1.json")
        openapi = (await client.get("/openapi.json")).json()

    assert document["asyncapi"] == "3.0.0"
    assert document["channels"] == {} and document["operations"] == {}
    assert "publishes no events" in document["info"]["description"]
    assert listing == {"context": NO_CONTEXT, "asyncapi": "/asyncapi.yaml", "schemas": []}
    assert unknown.status_code == 404
    assert {"/asyncapi.yaml", "/schemas/", "/schemas/{name}"} <= set(openapi["paths"])
    assert not any(p.startswith("/v1") for p in ("/asyncapi.yaml", "/schemas/"))


async def test_the_running_kit_app_serves_them_too(client):
    """The demo service of these tests (no context of its own), with its lifespan running."""
    response = await client.get("/asyncapi.yaml")

    assert response.status_code == 200
    assert yaml.safe_load(response.text)["info"]["title"] == "Campus events (demo)"
    assert json.loads((await client.get("/schemas/")).text)["schemas"] == []
