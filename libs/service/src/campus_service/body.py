"""Reading a JSON body inside a handler, for routes that must check something against current
state (e.g. the ministry that owns a resource) before the body is validated."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Text PostgreSQL cannot store comes in a JSON body only as an escape: NUL (\u0000) or a UTF-16
# surrogate (\ud800-\udfff), which is unpaired or pairs with the next escape.
_MAYBE_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
UNSTORABLE = "text_unstorable"  # the error type: answered after the route's auth checks (errors.py)


def unstorable_text(raw: bytes) -> list[dict[str, Any]]:
    """Each string of a JSON body that PostgreSQL cannot store (a NUL character, an unpaired
    surrogate), as a request validation error naming its field; ``[]`` for any other body (one
    regular-expression scan of the bytes). A check before the command, so that such a body is a
    422 naming the field, whatever the state it would have been checked against."""
    if not _MAYBE_UNSTORABLE.search(raw):
        return []
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return []  # not JSON: its validation says so
    found: list[dict[str, Any]] = []

    def walk(value: Any, loc: tuple[Any, ...]) -> None:
        if isinstance(value, str):
            if not _storable(value):
                found.append(
                    {
                        "type": UNSTORABLE,
                        "loc": ("body", *loc),
                        "msg": "text must not contain a NUL character or an unpaired surrogate",
                    }
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                if _storable(key):
                    walk(item, (*loc, key))
                else:
                    walk(key, loc)  # the key itself: named by where it is
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*loc, i))

    try:
        walk(data, ())
    except RecursionError:
        found.append({"type": UNSTORABLE, "loc": ("body",), "msg": "nested too deeply"})
    return found


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate
        return False
    return True


async def parse_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; a 422 problem listing the fields otherwise."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, too deep
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
    if errors := unstorable_text(raw):
        raise RequestValidationError(errors)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None
