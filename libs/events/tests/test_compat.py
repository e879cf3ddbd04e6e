"""The compatibility check: breaking a published schema fails, compatible changes pass, and
``make schemas`` refuses to overwrite a published version incompatibly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import campus_events.contracts  # noqa: F401  (fills the registry)
from campus_events import compat
from campus_events.compat import (
    PUBLISHED_INDEX,
    IncompatibleChangeError,
    check_published,
    compare_schemas,
    published_names,
)
from campus_events.registry import CampusEvent, Registry, registry
from campus_events.schemas import export_schemas, main

DOCS = Path(__file__).parents[3] / "docs"

BEFORE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "/schemas/ParcelShipped.v1.json",
    "title": "ParcelShipped.v1",
    "type": "object",
    "x-campus-context": "catalog",
    "x-campus-aggregate": "course",
    "x-campus-public": True,
    "x-cloudevents-type": "fr.gouv.campus.catalog.ParcelShipped.v1",
    "$defs": {
        "Carrier": {"enum": ["post", "courier"], "type": "string", "title": "Carrier"},
        "Box": {
            "type": "object",
            "properties": {
                "label": {"type": "string", "maxLength": 200},
                "carrier": {"$ref": "#/$defs/Carrier"},
            },
            "required": ["label"],
        },
    },
    "properties": {
        "parcel_id": {"type": "string", "format": "uuid", "title": "Parcel Id"},
        "weight_grams": {"type": "integer", "minimum": 0, "description": "Weight."},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "carrier": {"$ref": "#/$defs/Carrier"},
        "boxes": {"type": "array", "items": {"$ref": "#/$defs/Box"}},
    },
    "required": ["parcel_id", "weight_grams", "carrier", "boxes"],
}


def changed(edit: Any) -> dict[str, Any]:
    after = copy.deepcopy(BEFORE)
    edit(after)
    return after


def rules(after: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b.field, b.rule) for b in compare_schemas("ParcelShipped.v1", BEFORE, after)]


# One breaking and one compatible change per rule: (rule, breaking edit, field, compatible edit).
CASES = [
    (
        compat.FIELD_REMOVED,
        lambda s: s["properties"].pop("weight_grams"),
        "weight_grams",
        lambda s: s["properties"].update(volume_ml={"type": "integer"}),  # a new optional field
    ),
    (
        compat.FIELD_REMOVED,
        lambda s: s["$defs"]["Box"]["properties"].pop("label"),
        "boxes[].label",
        lambda s: s["$defs"]["Box"]["properties"].update(colour={"type": "string"}),
    ),
    (
        compat.TYPE_CHANGED,
        lambda s: s["properties"]["weight_grams"].update(type="number"),
        "weight_grams",
        lambda s: s["properties"]["weight_grams"].update(description="The weight, packaging included."),
    ),
    (
        compat.TYPE_CHANGED,
        lambda s: s["properties"].update(parcel_id={"anyOf": [{"type": "string"}, {"type": "null"}]}),
        "parcel_id",
        lambda s: s["properties"].update(note={"anyOf": [{"type": "null"}, {"type": "string"}]}),
    ),
    (
        compat.MADE_REQUIRED,
        lambda s: s["required"].append("note"),
        "note",
        lambda s: s["required"].remove("boxes"),  # required -> optional: old data still validates
    ),
    (
        compat.NEW_REQUIRED,
        lambda s: (s["properties"].update(volume_ml={"type": "integer"}), s["required"].append("volume_ml")),
        "volume_ml",
        lambda s: s["properties"].update(volume_ml={"type": "integer", "default": 0}),
    ),
    (
        compat.ENUM_VALUE_REMOVED,
        lambda s: s["$defs"]["Carrier"].update(enum=["post"]),
        "carrier",
        lambda s: s["$defs"]["Carrier"].update(enum=["post", "courier", "drone"]),
    ),
    (
        compat.ENUM_VALUE_REMOVED,
        lambda s: s["$defs"]["Carrier"].update(enum=["post"]),
        "boxes[].carrier",
        lambda s: s["$defs"]["Carrier"].update(title="The carrier"),
    ),
    (
        compat.CONSTRAINT_TIGHTENED,
        lambda s: s["$defs"]["Box"]["properties"]["label"].update(maxLength=100),
        "boxes[].label",
        lambda s: s["$defs"]["Box"]["properties"]["label"].update(maxLength=300),
    ),
    (
        compat.CONSTRAINT_TIGHTENED,
        lambda s: s["properties"]["weight_grams"].update(minimum=10),
        "weight_grams",
        lambda s: s["properties"]["weight_grams"].pop("minimum"),
    ),
    (
        compat.SUBJECT_CHANGED,
        lambda s: s.update({"x-campus-public": False}),
        "-",
        lambda s: s.update({"description": "A parcel left the warehouse."}),
    ),
]


@pytest.mark.parametrize(
    ("rule", "breaking", "field", "compatible"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES]
)
def test_each_rule_catches_its_breaking_change_and_lets_a_compatible_one_pass(
    rule, breaking, field, compatible
):
    assert (field, rule) in rules(changed(breaking))
    assert rules(changed(compatible)) == []


def test_an_unchanged_schema_passes_and_a_break_names_the_type_the_field_and_the_rule():
    assert compare_schemas("ParcelShipped.v1", BEFORE, copy.deepcopy(BEFORE)) == []
    (only,) = compare_schemas("ParcelShipped.v1", BEFORE, changed(lambda s: s["properties"].pop("carrier")))

    assert str(only) == "ParcelShipped.v1: field `carrier`: field removed (was string enum)"


def test_a_property_named_like_a_keyword_is_still_a_field():
    before = {"type": "object", "properties": {"title": {"type": "string"}, "default": {"type": "integer"}}}
    after = {"type": "object", "properties": {"default": {"type": "string"}}}

    assert [(b.field, b.rule) for b in compare_schemas("X.v1", before, after)] == [
        ("default", compat.TYPE_CHANGED),
        ("title", compat.FIELD_REMOVED),
    ]


# Registries with a published directory: removed or renamed types, deleted files, new versions.


def parcel_v1(*optional_fields: str) -> type[CampusEvent]:
    """``ParcelShipped`` v1, with extra optional string fields."""
    namespace: dict[str, Any] = {
        "__annotations__": {"weight_grams": "int", **dict.fromkeys(optional_fields, "str | None")},
        "context": "catalog",
        "aggregate": "course",
        "event_type": "ParcelShipped",
        **dict.fromkeys(optional_fields),
    }
    return type("ParcelShipped", (CampusEvent,), namespace)


class ParcelShippedV2(CampusEvent):
    context = "catalog"
    aggregate = "course"
    event_type = "ParcelShipped"
    version = 2
    weight_kg: float


class ParcelLost(CampusEvent):
    context = "catalog"
    aggregate = "course"
    reason: str


def registry_of(*models: type[CampusEvent]) -> Registry:
    local = Registry()
    for model in models:
        local.register(model)
    return local


@pytest.fixture
def published(tmp_path: Path) -> Path:
    export_schemas(tmp_path, registry_of(parcel_v1()))
    return tmp_path


def broken(directory: Path, reg: Registry) -> list[tuple[str, str, str]]:
    return [(b.schema, b.field, b.rule) for b in check_published(directory, reg)]


def test_a_removed_or_renamed_type_breaks_and_a_new_type_does_not(published):
    class ParcelDispatched(CampusEvent):  # ParcelShipped renamed
        context = "catalog"
        aggregate = "course"
        weight_grams: int

    assert broken(published, registry_of(ParcelDispatched)) == [
        ("ParcelShipped.v1", "-", compat.TYPE_REMOVED)
    ]
    assert broken(published, registry_of(parcel_v1(), ParcelLost)) == []


def test_a_deleted_published_file_breaks(published):
    (published / "ParcelShipped.v1.json").unlink()

    assert published_names(published) == {"ParcelShipped.v1"}  # the index remembers it
    assert broken(published, registry_of(parcel_v1())) == [("ParcelShipped.v1", "-", compat.FILE_DELETED)]


def test_a_new_version_needs_an_upcaster_and_keeps_the_old_one(published):
    without = registry_of(parcel_v1(), ParcelShippedV2)
    assert broken(published, without) == [("ParcelShipped.v2", "-", compat.NO_UPCASTER)]
    assert broken(published, registry_of(ParcelShippedV2)) == [
        ("ParcelShipped.v1", "-", compat.VERSION_REMOVED),
        ("ParcelShipped.v2", "-", compat.NO_UPCASTER),
    ]

    with_upcaster = registry_of(parcel_v1(), ParcelShippedV2)
    with_upcaster.upcaster("ParcelShipped", 1)(lambda d: {"weight_kg": d["weight_grams"] / 1000})
    assert broken(published, with_upcaster) == []
    assert with_upcaster.decode("ParcelShipped", 1, {"weight_grams": 1500}) == ParcelShippedV2(weight_kg=1.5)


def test_export_refuses_to_overwrite_a_published_version_incompatibly(published, capsys):
    path = published / "ParcelShipped.v1.json"
    before = path.read_text(encoding="utf-8")

    class ParcelShipped(CampusEvent):  # weight_grams retyped in place
        context = "catalog"
        aggregate = "course"
        weight_grams: str

    with pytest.raises(IncompatibleChangeError) as refused:
        export_schemas(published, registry_of(ParcelShipped, ParcelLost))

    assert "ParcelShipped.v1: field `weight_grams`: type changed (integer -> string)" in str(refused.value)
    assert path.read_text(encoding="utf-8") == before
    assert not (published / "ParcelLost.v1.json").exists()  # nothing at all was written


def test_export_writes_a_compatible_change_and_records_what_it_published(published):
    export_schemas(published, registry_of(parcel_v1("carrier"), ParcelLost))

    schema = json.loads((published / "ParcelShipped.v1.json").read_text(encoding="utf-8"))
    assert "carrier" in schema["properties"] and "carrier" not in schema["required"]
    index = json.loads((published / PUBLISHED_INDEX).read_text(encoding="utf-8"))
    assert index["published"] == ["ParcelLost.v1", "ParcelShipped.v1"]


def test_make_schemas_exits_non_zero_on_an_incompatible_change(tmp_path, monkeypatch, capsys):
    (tmp_path / "CoursePublished.v1.json").write_text(
        json.dumps({"type": "object", "properties": {"gone": {"type": "string"}}, "required": ["gone"]}),
        encoding="utf-8",
    )

    assert main([str(tmp_path)]) == 1
    assert "CoursePublished.v1: field `gone`: field removed" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["CoursePublished.v1.json"]


def test_the_code_keeps_every_published_version_of_docs_schemas():
    breaks = check_published(DOCS / "schemas", registry)

    assert breaks == [], "\n".join(str(b) for b in breaks)
    assert published_names(DOCS / "schemas") >= {m.schema_name() for m in registry}
    index = json.loads((DOCS / "schemas" / PUBLISHED_INDEX).read_text(encoding="utf-8"))
    assert set(index["published"]) == {m.schema_name() for m in registry}, "run `make schemas`"
