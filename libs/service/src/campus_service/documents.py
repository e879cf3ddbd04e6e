"""The event contract of the service's own context: ``/asyncapi.yaml`` and ``/schemas/…``.

Public (no token), outside ``/v1``, generated from the contract registry when the app is built,
so they are exactly what ``python -m campus_events.asyncapi --context <name>`` and
``python -m campus_events.schemas`` write. An event's CloudEvents ``dataschema``
(``/schemas/<EventType>.v<N>.json``) resolves on the service that publishes it. A service without
a context of its own (no events) serves an AsyncAPI document with no channels and an empty list.

Every answer carries a strong ``ETag`` and ``Cache-Control``; ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from campus_events.asyncapi import asyncapi_document, to_yaml
from campus_events.registry import Registry, registry
from campus_events.schemas import dumps, json_schema, schema_url

from .errors import PROBLEM_MEDIA_TYPE, NotFoundError
from .routing import CampusRoute

YAML_MEDIA_TYPE = "application/yaml"
SCHEMA_MEDIA_TYPE = "application/schema+json"
CACHE_CONTROL = "public, max-age=300"


@dataclass(frozen=True)
class Document:
    text: str
    media_type: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.text.encode()).hexdigest()[:32] + '"'

    def response(self, request: Request) -> Response:
        headers = {"ETag": self.etag, "Cache-Control": CACHE_CONTROL}
        if _matches(request.headers.get("if-none-match"), self.etag):
            return Response(status_code=304, headers=headers)
        return Response(self.text, media_type=self.media_type, headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return "*" in candidates or etag in candidates


def documents_router(context: str, reg: Registry = registry) -> APIRouter:
    """The routes serving ``context``'s AsyncAPI document and event schemas."""
    models = reg.by_context(context)
    asyncapi = Document(to_yaml(asyncapi_document([context], reg)), YAML_MEDIA_TYPE)
    schemas = {f"{m.schema_name()}.json": Document(dumps(json_schema(m)), SCHEMA_MEDIA_TYPE) for m in models}
    index = Document(
        dumps(
            {
                "context": context,
                "asyncapi": "/asyncapi.yaml",
                "schemas": [
                    {
                        "type": m.type_name(),
                        "version": m.version,
                        "cloudevents_type": m.cloudevents_type(),
                        "url": schema_url(m),
                    }
                    for m in models
                ],
            }
        ),
        "application/json",
    )
    router = APIRouter(route_class=CampusRoute, tags=["documents"])

    @router.get(
        "/asyncapi.yaml",
        response_class=Response,
        summary="The AsyncAPI 3 document of this service's events",
        responses={200: {"content": {YAML_MEDIA_TYPE: {}}}, 304: {"description": "Not modified"}},
    )
    async def get_asyncapi(request: Request) -> Response:
        return asyncapi.response(request)

    @router.get(
        "/schemas/",
        response_class=JSONResponse,
        summary="The JSON Schemas of this service's events",
        responses={304: {"description": "Not modified"}},
    )
    async def list_schemas(request: Request) -> Response:
        return index.response(request)

    @router.get(
        "/schemas/{name}",
        response_class=Response,
        summary="The JSON Schema of one event type and version (`<EventType>.v<N>.json`)",
        responses={
            200: {"content": {SCHEMA_MEDIA_TYPE: {}}},
            304: {"description": "Not modified"},
            404: {
                "description": "No such event schema on this service",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        },
    )
    async def get_schema(name: str, request: Request) -> Response:
        document = schemas.get(name)
        if document is None:
            raise NotFoundError(f"no event schema {name!r} here; the list is at /schemas/")
        return document.response(request)

    return router
