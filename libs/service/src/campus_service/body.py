"""Reading a JSON body inside a handler, for routes that must check something against current
state (e.g. the ministry that owns a resource) before the body is validated."""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


async def parse_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; a 422 problem listing the fields otherwise."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw else None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", 0),
                    "msg": "JSON decode error",
                    "ctx": {"error": str(exc)},
                }
            ]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None
