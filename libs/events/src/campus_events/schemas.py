"""JSON Schemas (2020-12) of the event contracts, and their export to ``docs/schemas``.

``json_schema(model)`` describes an event's CloudEvents ``data``; ``cloudevent_schema(model)``
the whole CloudEvents message. Run ``python -m campus_events.schemas [directory]`` from the
repository root to regenerate ``docs/schemas/<EventType>.v<N>.json`` (``make schemas``); it
refuses to overwrite a published version incompatibly (``campus_events.compat``).
"""

from __future__ import annotations

import copy
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from . import contracts as _contracts  # noqa: F401  (importing the contracts fills the registry)
from .envelope import MINISTRY_CODE
from .registry import PUBLIC, CampusEvent, Registry, registry

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_DIRECTORY = Path("docs/schemas")
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

STREAM_PATTERN = "^[a-z]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# The event-store stream an event was appended to, `<name>-<uuid>`: its aggregate's, except where a
# service serialises several aggregates on one stream.
STREAM_DESCRIPTION = {
    "enrollment": (
        "The event-store stream: `session-<session id>` for an enrolment in a session (a session's"
        " enrolments share its stream, which serialises seats and waitlist), else `enrollment-<id>`."
        " Use `enrollment_id` in `data` to tell enrolments apart."
    ),
}


def schema_url(model: type[CampusEvent]) -> str:
    """The URL path of the event's data schema: the CloudEvents ``dataschema`` attribute."""
    return f"/schemas/{model.schema_name()}.json"


def _description(model: type[CampusEvent]) -> str:
    return inspect.cleandoc(model.__doc__ or model.schema_name())


def json_schema(model: type[CampusEvent]) -> dict[str, Any]:
    """The JSON Schema of the event's ``data``, with ``$id`` = its ``dataschema`` path.

    >>> from campus_events.contracts import CoursePublished
    >>> json_schema(CoursePublished)["$id"]
    '/schemas/CoursePublished.v1.json'
    """
    generated = model.model_json_schema(mode="validation")
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": DIALECT,
        "$id": schema_url(model),
        "title": model.schema_name(),
        "description": _description(model),
        "x-campus-context": model.context,
        "x-campus-aggregate": model.aggregate,
        "x-campus-public": model.public,
        "x-cloudevents-type": model.cloudevents_type(),
        **generated,
    }


def cloudevent_schema(model: type[CampusEvent]) -> dict[str, Any]:
    """The JSON Schema of a whole CloudEvents message carrying this event.

    The data schema is inlined under ``properties.data``; its ``$defs`` move to the top, so
    its ``#/$defs/…`` references resolve unchanged.
    """
    data = copy.deepcopy(json_schema(model))
    defs = data.pop("$defs", {})
    for key in ("$schema", "$id"):
        data.pop(key)
    uuid = {"type": "string", "pattern": UUID_PATTERN}
    scope: dict[str, Any] = (
        {"const": PUBLIC} if model.public else {"type": "string", "pattern": MINISTRY_CODE.pattern}
    )
    properties: dict[str, Any] = {
        "specversion": {"const": "1.0"},
        "id": {**uuid, "description": "The event id (UUIDv7), also the `Nats-Msg-Id` header."},
        "source": {"const": f"/campus/{model.context}"},
        "type": {"const": model.cloudevents_type()},
        "subject": {**uuid, "description": "The id in `campusstream` (the aggregate's id)."},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"const": "application/json"},
        "dataschema": {"const": schema_url(model)},
        "campusministry": {**scope, "description": "The scope: `public` or the owning ministry's code."},
        "campusstream": {
            "type": "string",
            "pattern": STREAM_PATTERN,
            "description": STREAM_DESCRIPTION.get(model.aggregate, f"`{model.aggregate}-<id>`."),
        },
        "campusversion": {"type": "integer", "minimum": 0, "description": "The event's stream version."},
        "campusactorrole": {"type": "string"},
        "campusactorid": {**uuid, "description": "Who caused it (pseudonymous agent id)."},
        "correlationid": uuid,
        "causationid": uuid,
        "traceparent": {"type": "string"},
        "data": data,
    }
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"/schemas/{model.schema_name()}.cloudevent.json",
        "title": f"{model.schema_name()} (CloudEvents message)",
        "description": _description(model),
        "type": "object",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "dataschema",
            "campusministry",
            "campusstream",
            "campusversion",
            "data",
        ],
        "properties": properties,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def dumps(schema: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, newline at the end."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_schemas(directory: Path | str = DEFAULT_DIRECTORY, reg: Registry = registry) -> list[Path]:
    """Write ``<EventType>.v<N>.json`` for every registered event; return the paths written.

    The directory holds the published contract: if the models would break a consumer of a version
    published there (``campus_events.compat``), nothing is written and ``IncompatibleChangeError``
    lists why. Every name written is added to the directory's ``published.json``.
    """
    from .compat import IncompatibleChangeError, check_published, record_published  # compat imports us

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    breaks = check_published(target, reg)
    if breaks:
        raise IncompatibleChangeError(breaks)
    written = []
    for model in reg:
        path = target / f"{model.schema_name()}.json"
        text = dumps(json_schema(model))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    record_published(target, [m.schema_name() for m in reg])
    return written


def main(argv: list[str] | None = None) -> int:
    from .compat import IncompatibleChangeError

    args = sys.argv[1:] if argv is None else argv
    try:
        paths = export_schemas(Path(args[0]) if args else DEFAULT_DIRECTORY)
    except IncompatibleChangeError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(f"{len(paths)} schemas in {paths[0].parent if paths else '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
