"""The AsyncAPI 3.0 document of the Campus events, generated from the contract registry.

Run ``python -m campus_events.asyncapi [path]`` from the repository root to regenerate
``docs/asyncapi.yaml``; a service serves its own context's at ``/asyncapi.yaml``, the same text as
``python -m campus_events.asyncapi --context funding`` writes. A context without events (a service
that publishes none) gets a valid document with no channels.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .contracts.samples import Sample, sample_envelope, samples
from .registry import PUBLIC, CampusEvent, Registry, registry, stream_for_context
from .schemas import cloudevent_schema

DEFAULT_PATH = Path("docs/asyncapi.yaml")
CONTENT_TYPE = "application/cloudevents+json"
STREAM_DESCRIPTIONS = {
    "catalog": "Courses, sessions and learning paths of the catalogue (all public).",
    "enrollment": "Enrolments, waitlists, completions and ratings (scoped to the agent's ministry).",
    "projects": "Accompanied training projects and their stages (scoped to the owning ministry).",
    "funding": "FTAP envelopes (public) and funding requests (scoped to the requesting ministry).",
    "trainers": "The trainers' community: trainers, ideas, support (public); activities (ministry).",
}


def _address(model: type[CampusEvent]) -> str:
    scope = PUBLIC if model.public else "{scope}"
    return f"campus.{model.context}.{scope}.{model.aggregate}.{model.type_name()}"


def _message_id(model: type[CampusEvent]) -> str:
    return f"{model.type_name()}_v{model.version}"


def _rewrite_refs(node: Any) -> Any:
    """Point ``#/$defs/X`` references at ``#/components/schemas/X``."""
    if isinstance(node, dict):
        return {
            key: (
                value.replace("#/$defs/", "#/components/schemas/")
                if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _add_schema(schemas: dict[str, Any], key: str, schema: dict[str, Any]) -> None:
    if key in schemas and schemas[key] != schema:
        raise ValueError(f"two different schemas are named {key!r}")
    schemas[key] = schema


def _message(model: type[CampusEvent], schemas: dict[str, Any], sample: Sample | None) -> dict[str, Any]:
    payload = cloudevent_schema(model)
    for key, schema in payload.pop("$defs", {}).items():
        _add_schema(schemas, key, _rewrite_refs(schema))
    for key in ("$schema", "$id"):
        payload.pop(key)
    _add_schema(schemas, model.schema_name(), _rewrite_refs(payload["properties"]["data"]))
    payload["properties"]["data"] = {"$ref": f"#/components/schemas/{model.schema_name()}"}
    description = payload["description"]
    message: dict[str, Any] = {
        "name": model.type_name(),
        "title": f"{model.type_name()} v{model.version}",
        "summary": description.splitlines()[0],
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "properties": {"Nats-Msg-Id": {"type": "string", "description": "The event id (deduplication)."}},
        },
        "correlationId": {
            "description": "Shared by the events one request caused.",
            "location": "$message.payload#/correlationid",
        },
        "payload": payload,
        "tags": [{"name": model.stream_name()}],
    }
    if sample is not None:
        cloudevent = sample_envelope(sample).to_cloudevent()
        message["examples"] = [
            {
                "name": "sample",
                "summary": "Illustrative values (demo data).",
                "headers": {"Nats-Msg-Id": cloudevent["id"]},
                "payload": cloudevent,
            }
        ]
    return message


def asyncapi_document(contexts: Iterable[str] | None = None, reg: Registry = registry) -> dict[str, Any]:
    """An AsyncAPI 3.0.0 document for the events of ``contexts`` (all by default).

    >>> doc = asyncapi_document(["funding"])
    >>> doc["channels"]["funding-request-FundingApproved"]["address"]
    'campus.funding.{scope}.request.FundingApproved'
    """
    wanted = None if contexts is None else set(contexts)
    models = [m for m in reg if wanted is None or m.context in wanted]
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    examples = samples()
    for model in models:
        message_id = _message_id(model)
        messages[message_id] = _message(model, schemas, examples.get(model))
        channel_id = f"{model.context}-{model.aggregate}-{model.type_name()}"
        channel = channels.setdefault(
            channel_id,
            {
                "address": _address(model),
                "title": model.type_name(),
                "description": f"Stream `{model.stream_name()}`; scope "
                + ("`public`." if model.public else "the owning ministry's code."),
                "messages": {},
                "tags": [{"name": model.stream_name()}],
            },
        )
        if not model.public:
            channel["parameters"] = {"scope": {"$ref": "#/components/parameters/scope"}}
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        operation = operations.setdefault(
            f"receive{model.type_name()}",
            {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": messages[message_id]["summary"],
                "messages": [],
                "tags": [{"name": model.stream_name()}],
            },
        )
        operation["messages"].append({"$ref": f"#/channels/{channel_id}/messages/{message_id}"})
    streams = sorted({m.context for m in models})
    description = (
        "Events of the Campus du numérique public, as CloudEvents 1.0 JSON messages (structured"
        " mode) on NATS JetStream, one stream per context. Subjects are"
        " `campus.<context>.<scope>.<aggregate>.<EventType>`, where the scope is `public` or the"
        " code of the ministry that owns the data. A ministry reads `campus.*.public.>` and"
        " `campus.*.<its code>.>`. No event carries a name or an e-mail address."
    )
    if not models:
        description += " This service publishes no events of its own: it has no channels."
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Campus events" + ("" if wanted is None else f" ({', '.join(sorted(wanted))})"),
            "version": "1.0.0",
            "description": description,
            "tags": [
                {"name": stream_for_context(c), "description": STREAM_DESCRIPTIONS.get(c, "")}
                for c in streams
            ],
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "production": {
                "host": "nats.campus.example:4222",
                "protocol": "nats",
                "description": "Placeholder: the deployment's NATS JetStream cluster.",
                "security": [{"$ref": "#/components/securitySchemes/ministryUser"}],
            },
            "development": {
                "host": "localhost:4222",
                "protocol": "nats",
                "description": "The embedded NATS server started by `make run`.",
                "security": [{"$ref": "#/components/securitySchemes/ministryUser"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": messages,
            "parameters": {
                "scope": {
                    "description": "The code of the ministry that owns the data (e.g. `mefsin`).",
                    "examples": ["mefsin", "dinum"],
                }
            },
            "securitySchemes": {
                "ministryUser": {
                    "type": "userPassword",
                    "description": "A ministry's read-only NATS user (`campus nats-user --ministry CODE`).",
                }
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(document: dict[str, Any]) -> str:
    """Stable YAML: keys in the document's order, no anchors, UTF-8 text."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m campus_events.asyncapi", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--context", action="append", help="only this context's events (what its service serves)"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(to_yaml(asyncapi_document(args.context)), encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
