"""The compatibility check: the committed ``docs/schemas`` are the published contract.

Every ``<EventType>.v<N>.json`` in that directory, and every name in its ``published.json``
index, is a version some consumer may rely on: it must stay registered, its file must stay, and
its model may only change compatibly — a new optional field, an added enum value, a looser
constraint, a new description. Anything else (a field removed, a type changed, an optional field
made required, a new required field, an enum value removed, a tighter constraint, another subject)
is a new version ``v<N+1>`` with an upcaster registered from ``v<N>``; the old version stays.

>>> old = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
>>> new = {"type": "object", "properties": {"n": {"type": "string"}}, "required": ["n"]}
>>> [str(b) for b in compare_schemas("Pinged.v1", old, new)]
['Pinged.v1: field `n`: type changed (integer -> string)']
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .registry import Registry, UnknownEventError, registry
from .schemas import dumps, json_schema

PUBLISHED_INDEX = "published.json"
SCHEMA_FILE = re.compile(r"^(?P<type>[A-Za-z][A-Za-z0-9]*)\.v(?P<version>[1-9][0-9]*)\.json$")

FIELD_REMOVED = "field removed"
TYPE_CHANGED = "type changed"
MADE_REQUIRED = "optional field made required"
NEW_REQUIRED = "new required field"
ENUM_VALUE_REMOVED = "enum value removed"
CONSTRAINT_TIGHTENED = "constraint tightened"
SUBJECT_CHANGED = "subject or scope changed"
TYPE_REMOVED = "event type removed or renamed"
VERSION_REMOVED = "published version removed"
FILE_DELETED = "published schema file deleted"
NO_UPCASTER = "new version without an upcaster"

# Keywords that only describe; changing them changes no consumer's parsing.
ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "$comment", "deprecated", "readOnly", "writeOnly"}
)
MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
# The envelope facts a subscriber filters on (subject, scope) or matches (CloudEvents type).
ROUTING = ("x-campus-context", "x-campus-aggregate", "x-campus-public", "x-cloudevents-type")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
EXACT = ("pattern", "format", "multipleOf", "uniqueItems")
HANDLED = frozenset(
    {"type", "properties", "required", "items", "enum", "const", "anyOf", "oneOf"}
    | set(LOWER_BOUNDS)
    | set(UPPER_BOUNDS)
    | set(EXACT)
)


@dataclass(frozen=True, order=True)
class Break:
    """One change that would break a consumer of a published version."""

    schema: str
    field: str
    rule: str
    detail: str

    def __str__(self) -> str:
        where = "" if self.field == "-" else f"field `{self.field}`: "
        return f"{self.schema}: {where}{self.rule} ({self.detail})"


class IncompatibleChangeError(ValueError):
    """The models break a published version: refuse to overwrite it."""

    def __init__(self, breaks: Iterable[Break]) -> None:
        self.breaks = sorted(breaks)
        lines = "\n".join(f"  - {b}" for b in self.breaks)
        super().__init__(
            f"{len(self.breaks)} incompatible change(s) to published event schemas:\n{lines}\n"
            "Keep the published version as it is and add the change as a new version v<N+1> with an"
            " upcaster from v<N> (docs/ministries.md, 'A new version')."
        )


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"unresolvable reference {ref!r}")
    return node


def normalise(node: Any, root: dict[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """``node`` with its references inlined and its annotations dropped, for comparison."""
    if isinstance(node, list):
        return [normalise(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:  # a recursive model: compare the reference itself
            return {"$ref": ref}
        merged = {**_resolve(root, ref), **{k: v for k, v in node.items() if k != "$ref"}}
        return normalise(merged, root, seen | {ref})
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        merged = {**all_of[0], **{k: v for k, v in node.items() if k != "allOf"}}
        return normalise(merged, root, seen)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ANNOTATIONS or key in {"$schema", "$id", "$defs"} or key.startswith("x-"):
            continue
        if key in MAPS and isinstance(value, dict):  # keys are field names here, not keywords
            out[key] = {name: normalise(sub, root, seen) for name, sub in value.items()}
        else:
            out[key] = normalise(value, root, seen)
    return out


def describe(node: dict[str, Any]) -> str:
    """A short human name for a (normalised) schema: ``integer``, ``string(date) | null``…"""
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        return " | ".join(describe(a) for a in alternatives)
    if "const" in node:
        return json.dumps(node["const"])
    kind = str(node.get("type", "any"))
    if "enum" in node:
        return f"{kind} enum"
    if kind == "array" and isinstance(node.get("items"), dict):
        return f"array of {describe(node['items'])}"
    return f"{kind}({node['format']})" if "format" in node else kind


def _alternatives(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = node.get("anyOf") or node.get("oneOf")
    return list(found) if isinstance(found, list) else [node]


def _kind(node: dict[str, Any]) -> str:
    if "type" in node:
        return str(node["type"])
    if "enum" in node or "const" in node:
        return "enum"
    return json.dumps(node, sort_keys=True)


def _values(node: dict[str, Any]) -> list[Any] | None:
    if "enum" in node:
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    return None


class _Comparison:
    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.breaks: list[Break] = []

    def add(self, path: str, rule: str, detail: str) -> None:
        self.breaks.append(Break(self.schema, path or "-", rule, detail))

    def compare(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        if old == new:
            return
        old_alts, new_alts = _alternatives(old), _alternatives(new)
        if len(old_alts) > 1 or len(new_alts) > 1:
            self._compare_unions(old, new, old_alts, new_alts, path)
            return
        old_values, new_values = _values(old), _values(new)
        if old_values is not None and new_values is not None:
            removed = [v for v in old_values if v not in new_values]
            if removed:
                self.add(path, ENUM_VALUE_REMOVED, ", ".join(json.dumps(v) for v in removed))
        elif new_values is not None:
            self.add(path, CONSTRAINT_TIGHTENED, f"now restricted to {json.dumps(new_values)}")
        if old.get("type") != new.get("type"):
            self.add(path, TYPE_CHANGED, f"{describe(old)} -> {describe(new)}")
            return
        self._compare_objects(old, new, path)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{path}[]")
        self._compare_constraints(old, new, path)

    def _compare_unions(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        old_alts: list[dict[str, Any]],
        new_alts: list[dict[str, Any]],
        path: str,
    ) -> None:
        old_kinds = {_kind(a): a for a in old_alts}
        new_kinds = {_kind(a): a for a in new_alts}
        distinct = len(old_kinds) == len(old_alts) and len(new_kinds) == len(new_alts)
        if not distinct or set(old_kinds) != set(new_kinds):
            self.add(path, TYPE_CHANGED, f"{describe(old)} -> {describe(new)}")
            return
        for kind, alternative in old_kinds.items():
            self.compare(alternative, new_kinds[kind], path)

    def _compare_objects(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_props: dict[str, Any] = old.get("properties", {})
        new_props: dict[str, Any] = new.get("properties", {})
        prefix = f"{path}." if path else ""
        for name in old_props:
            if name not in new_props:
                self.add(prefix + name, FIELD_REMOVED, f"was {describe(old_props[name])}")
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name in sorted(new_required - old_required):
            if name in old_props:
                self.add(prefix + name, MADE_REQUIRED, "data published without it no longer validates")
            else:
                self.add(prefix + name, NEW_REQUIRED, "data published without it no longer validates")
        for name in old_props:
            if name in new_props:
                self.compare(old_props[name], new_props[name], prefix + name)

    def _compare_constraints(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for key in LOWER_BOUNDS:
            before, after = old.get(key), new.get(key)
            if after is not None and (before is None or after > before):
                self.add(path, CONSTRAINT_TIGHTENED, f"{key} {before} -> {after}")
        for key in UPPER_BOUNDS:
            before, after = old.get(key), new.get(key)
            if after is not None and (before is None or after < before):
                self.add(path, CONSTRAINT_TIGHTENED, f"{key} {before} -> {after}")
        for key in EXACT:
            if new.get(key) is not None and old.get(key) != new.get(key):
                self.add(path, CONSTRAINT_TIGHTENED, f"{key} {old.get(key)!r} -> {new.get(key)!r}")
        for key in sorted((set(old) | set(new)) - HANDLED):
            if old.get(key) != new.get(key):
                self.add(path, TYPE_CHANGED, f"`{key}` changed")


def compare_schemas(schema: str, old: dict[str, Any], new: dict[str, Any]) -> list[Break]:
    """What in ``new`` would break a consumer of the published ``old`` (both JSON Schemas of ``data``)."""
    comparison = _Comparison(schema)
    for key in ROUTING:
        if key in old and old.get(key) != new.get(key):
            comparison.add("", SUBJECT_CHANGED, f"{key} {old.get(key)!r} -> {new.get(key)!r}")
    comparison.compare(normalise(old, old), normalise(new, new), "")
    return sorted(comparison.breaks)


def published_names(directory: Path | str) -> set[str]:
    """``<EventType>.v<N>`` of every published version: the index's names and the files present."""
    folder = Path(directory)
    names: set[str] = set()
    index = folder / PUBLISHED_INDEX
    if index.exists():
        names |= set(json.loads(index.read_text(encoding="utf-8"))["published"])
    names |= {p.name.removesuffix(".json") for p in folder.glob("*.json") if SCHEMA_FILE.match(p.name)}
    return names


def check_published(directory: Path | str, reg: Registry = registry) -> list[Break]:
    """Every change of ``reg`` that would break a consumer of a version published in ``directory``."""
    folder = Path(directory)
    breaks: list[Break] = []
    for name in sorted(published_names(folder)):
        match = SCHEMA_FILE.match(f"{name}.json")
        if match is None:
            raise ValueError(f"{folder / PUBLISHED_INDEX}: {name!r} is not <EventType>.v<N>")
        event_type, version = match["type"], int(match["version"])
        path = folder / f"{name}.json"
        try:
            model = reg.model(event_type, version)
        except UnknownEventError:
            if reg.versions(event_type):
                breaks.append(Break(name, "-", VERSION_REMOVED, f"no contract for {event_type} v{version}"))
            else:
                breaks.append(Break(name, "-", TYPE_REMOVED, f"no contract named {event_type} any more"))
            continue
        if not path.exists():
            detail = f"{path} is listed in {PUBLISHED_INDEX}: restore it from version control"
            breaks.append(Break(name, "-", FILE_DELETED, detail))
            continue
        breaks += compare_schemas(name, json.loads(path.read_text(encoding="utf-8")), json_schema(model))
    for model in reg:
        event_type, version = model.type_name(), model.version
        if version > 1 and version - 1 not in reg.versions(event_type):
            breaks.append(Break(model.schema_name(), "-", NO_UPCASTER, f"v{version - 1} is not registered"))
        elif version > 1 and not reg.has_upcaster(event_type, version - 1):
            breaks.append(
                Break(model.schema_name(), "-", NO_UPCASTER, f"register an upcaster from v{version - 1}")
            )
    return sorted(breaks)


def record_published(directory: Path | str, names: Iterable[str]) -> Path:
    """Add ``names`` to the directory's ``published.json`` (names are never removed from it)."""
    folder = Path(directory)
    index = folder / PUBLISHED_INDEX
    known = published_names(folder) | set(names)
    text = dumps(
        {
            "description": (
                "Every event schema version ever published. Never remove a name: consumers may rely on"
                " it (campus_events.compat)."
            ),
            "published": sorted(known),
        }
    )
    if not index.exists() or index.read_text(encoding="utf-8") != text:
        index.write_text(text, encoding="utf-8")
    return index
