"""The OpenAPI document as the contract states it: problem+json errors, 401/403 on secured routes,
and each operation's authorisation rule (``x-campus-roles``, ``x-campus-scope``, from its gates)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, routing
from pydantic import BaseModel, ConfigDict, Field

from .auth import route_policy
from .errors import PROBLEM_MEDIA_TYPE


class FieldError(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    field: str = Field(description="Dotted path of the field (`modules.0.title`), or `body`.")
    reason: str
    in_: str | None = Field(default=None, alias="in", description="`body`, `query`, `path` or `header`.")


class Problem(BaseModel):
    """An RFC 9457 problem."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(default=None, description="The invalid fields (422 only).")


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite FastAPI's validation errors as problems and add 401/403 where a route needs a token."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "422" in responses:
                responses["422"] = _problem_response("Invalid request: `errors` lists the fields")
            if operation.get("security"):
                responses.setdefault("401", _problem_response("Missing, expired or badly signed token"))
                responses.setdefault("403", _problem_response("Not allowed for this role or ministry"))
    text = repr(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"/{unused}'" not in text:
            schemas.pop(unused, None)
    return schema


def document_policies(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add ``x-campus-roles`` (who may call) and ``x-campus-scope`` (which data) to every operation."""
    paths = schema.get("paths", {})
    # FastAPI ≥ 0.120 keeps included routers as such: iterate their effective routes (with the
    # include's prefix and dependencies), as FastAPI's own OpenAPI generation does.
    contexts = getattr(routing, "iter_route_contexts", lambda routes: iter(routes))(app.routes)
    for route in contexts:
        original = getattr(route, "original_route", route)
        if not isinstance(original, routing.APIRoute) or route.path_format not in paths:
            continue
        roles, scope = route_policy(route.dependant)
        for method in route.methods:
            operation = paths[route.path_format].get(method.lower())
            if isinstance(operation, dict):
                operation["x-campus-roles"] = roles
                operation["x-campus-scope"] = scope
    return schema


def install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_policies(app, document_problems(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
