"""Reading a JSON body inside a handler, for routes that must check something against current
state (e.g. the ministry that owns a resource) before the body is validated."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Text a body must not carry: what PostgreSQL cannot store (NUL, an unpaired UTF-16 surrogate),
# other control characters (tab and line breaks aside), and blank strings. In JSON the first two
# come only as escapes (or as raw DEL and C1 bytes): a few scans of the bytes (each from a literal,
# ~1-4 µs for a course) find the bodies that may hold any of it, and only those are parsed and walked.
_ESCAPE = re.compile(rb"\\(?:u(?:0000|[dD][89a-fA-F]|00[01]|007[fF]|00[89])|[bf])")
_C1 = re.compile(rb"\xc2[\x80-\x9f]")
_BLANK_START = re.compile(rb'"(?:[ \t\r\n\\]|[\xc2\xe1\xe2\xe3])')
# Whitespace as str.strip() knows it (controls aside: refused as such), raw or escaped.
_SPACE = (
    rb"(?:[ \t\r\n]|\\[tnr]|\\u(?:00(?:09|0[aAdD]|20|[aA]0)|1680|200[0-9aA]|202[89fF]|205[fF]|3000)"
    rb"|\xc2\xa0|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
)
_BLANK = re.compile(rb'"' + _SPACE + rb'+"')


def _suspect(raw: bytes) -> bool:
    return bool(
        _ESCAPE.search(raw)
        or b"\x7f" in raw
        or (b"\xc2" in raw and _C1.search(raw))
        or (_BLANK_START.search(raw) and _BLANK.search(raw))
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
TEXT_INVALID = "text_invalid"  # the error type: answered after the route's auth checks (errors.py)


def text_errors(raw: bytes) -> list[dict[str, Any]]:
    """Each string of a JSON body that holds text PostgreSQL cannot store (a NUL character, an
    unpaired surrogate), another control character (tab and line breaks aside) or only
    whitespace, as a request validation error naming its field; ``[]`` for any other body. A
    check before the command, so that such a body is a 422 naming the field whatever the state
    it would have been checked against, in every service alike."""
    if b"\x00" not in raw and not _suspect(raw):  # a NUL byte: not UTF-8 (UTF-16, UTF-32): walk it
        return []
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return []  # not JSON: its validation says so
    found: list[dict[str, Any]] = []

    def walk(value: Any, loc: tuple[Any, ...]) -> None:
        if isinstance(value, str):
            if (reason := _text_fault(value)) is not None:
                found.append({"type": TEXT_INVALID, "loc": ("body", *loc), "msg": reason})
        elif isinstance(value, dict):
            for key, item in value.items():
                if _text_fault(key, blank_ok=True) is None:
                    walk(item, (*loc, key))
                else:
                    walk(key, loc)  # the key itself: named by where it is
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*loc, i))

    try:
        walk(data, ())
    except RecursionError:
        found.append({"type": TEXT_INVALID, "loc": ("body",), "msg": "nested too deeply"})
    return found


def _text_fault(text: str, *, blank_ok: bool = False) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text must not contain an unpaired surrogate"
    if "\x00" in text:
        return "text must not contain a NUL character"
    if _CONTROL.search(text):
        return "text must not contain control characters (tabs and line breaks aside)"
    if text and not blank_ok and not text.strip():
        return "text must not be blank"
    return None


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
    if errors := text_errors(raw):
        raise RequestValidationError(errors)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


def distinct_by(key: str) -> Callable[[list[Any]], list[Any]]:
    """A list validator (``AfterValidator``): no two items with the same ``key`` (case and
    surrounding spaces aside), e.g. one entry per agent profile — two would count its agents twice."""

    def check(items: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for item in items:
            name = str(getattr(item, key)).strip().casefold()
            if name in seen:
                raise ValueError(f"{key} {getattr(item, key)!r} appears twice: one entry per {key}")
            seen.add(name)
        return items

    return check
