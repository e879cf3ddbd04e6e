"""The event contracts: round trips, JSON Schemas, the AsyncAPI document, no personal data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel

import campus_events.contracts  # noqa: F401  (fills the registry)
from campus_events.asyncapi import asyncapi_document, to_yaml
from campus_events.contracts.enrollment import AgentEnrolled
from campus_events.contracts.samples import Sample, sample_envelope, samples
from campus_events.envelope import Actor, Envelope, envelope_for
from campus_events.registry import CONTEXTS, PUBLIC, CampusEvent, Registry, registry
from campus_events.schemas import cloudevent_schema, dumps, json_schema

DOCS = Path(__file__).parents[3] / "docs"
EXPECTED_PER_STREAM = {"catalog": 11, "enrollment": 7, "projects": 7, "funding": 10, "trainers": 8}
MODELS = list(registry)
SAMPLES = samples()

# Personal data never travels in events: agents are only pseudonymous `agent_id`s.
FORBIDDEN_FIELDS = {
    "name",
    "email",
    "e_mail",
    "mail",
    "given_name",
    "usual_name",
    "first_name",
    "last_name",
    "full_name",
    "family_name",
    "display_name",
    "username",
    "phone",
}
FORBIDDEN_FRAGMENTS = ("name", "mail", "phone")
ALLOWED = {("EnvelopeOpened", "name")}  # the funding campaign's name, not a person's


def by_name(model: type[CampusEvent]) -> str:
    return model.schema_name()


def test_every_event_of_the_contract_is_registered() -> None:
    assert len(registry) == 43
    assert {c: len(registry.by_context(c)) for c in CONTEXTS} == EXPECTED_PER_STREAM
    assert all(model.version == 1 for model in registry)


def test_abstract_bases_are_not_registered() -> None:
    registered = set(registry)
    for model in registry:
        for base in model.__mro__[1:]:
            assert base not in registered, f"{model.__name__} extends registered {base.__name__}"


def test_scopes_and_aggregates_follow_the_contract() -> None:
    expected = {
        ("catalog", "course", True),
        ("catalog", "session", True),
        ("catalog", "path", True),
        ("enrollment", "enrollment", False),
        ("projects", "project", False),
        ("funding", "envelope", True),
        ("funding", "request", False),
        ("trainers", "trainer", True),
        ("trainers", "idea", True),
        ("trainers", "support", True),
        ("trainers", "activity", False),
    }
    assert {(m.context, m.aggregate, m.public) for m in registry} == expected


@pytest.mark.parametrize("model", MODELS, ids=by_name)
def test_round_trip_through_a_cloudevent(model: type[CampusEvent]) -> None:
    event = SAMPLES[model].event
    ministry = None if model.public else "mefsin"
    envelope = envelope_for(event, uuid4(), ministry=ministry, actor=Actor(id=uuid4(), role="agent"))

    decoded = Envelope.from_json(envelope.to_json())

    assert decoded.event() == event
    assert decoded.subject == envelope.subject
    assert decoded.subject.startswith(f"campus.{model.context}.{'public' if model.public else 'mefsin'}.")


def test_the_subject_survives_a_stream_named_after_another_aggregate() -> None:
    # Enrolments are appended to the roster's stream (session-<id>), not enrollment-<id>: the
    # subject's aggregate comes from the contract, not from the stream's name.
    event = SAMPLES[AgentEnrolled].event
    envelope = envelope_for(event, uuid4(), ministry="mefsin").model_copy(
        update={"stream": f"session-{uuid4()}"}
    )

    decoded = Envelope.from_json(envelope.to_json())

    assert decoded.subject == "campus.enrollment.mefsin.enrollment.AgentEnrolled" == envelope.subject


@pytest.mark.parametrize("model", MODELS, ids=by_name)
def test_cloudevent_message_validates_against_its_schema(model: type[CampusEvent]) -> None:
    schema = cloudevent_schema(model)
    Draft202012Validator.check_schema(schema)
    message = json.loads(sample_envelope(SAMPLES[model]).to_json())

    assert sorted(e.message for e in Draft202012Validator(schema).iter_errors(message)) == []


@pytest.mark.parametrize("model", MODELS, ids=by_name)
def test_data_validates_against_the_exported_schema_file(model: type[CampusEvent]) -> None:
    path = DOCS / "schemas" / f"{model.schema_name()}.json"
    assert path.read_text(encoding="utf-8") == dumps(json_schema(model)), (
        f"{path.name} is stale: run `python -m campus_events.schemas`"
    )
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"/schemas/{model.schema_name()}.json"
    assert schema["title"] and schema["description"]
    data = json.loads(envelope_for(SAMPLES[model].event, uuid4(), ministry="mefsin").to_json())["data"]

    assert sorted(e.message for e in Draft202012Validator(schema).iter_errors(data)) == []


def test_no_schema_file_is_left_over_from_a_removed_event() -> None:
    exported = {p.name for p in (DOCS / "schemas").glob("*.v*.json") if ".cloudevent." not in p.name}
    assert exported == {f"{m.schema_name()}.json" for m in registry}


def test_schemas_use_integer_cents_and_bounded_rates() -> None:
    for model in registry:
        for field, info in model.model_fields.items():
            if field.endswith("_cents"):
                assert info.annotation is int, f"{model.__name__}.{field}"
        schema = json_schema(model)["properties"]
        for field, prop in schema.items():
            if field.endswith("_rate"):
                assert (prop["minimum"], prop["maximum"]) == (0, 1), f"{model.__name__}.{field}"


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Field names of a model and of the models nested in it."""
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for info in model.model_fields.values():
        for nested in _nested_models(info.annotation):
            names |= _field_names(nested, seen)
    return names


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _nested_models(arg)]


@pytest.mark.parametrize("model", MODELS, ids=by_name)
def test_no_event_carries_a_name_or_an_email(model: type[CampusEvent]) -> None:
    fields = {f for f in _field_names(model, set()) if (model.type_name(), f) not in ALLOWED}

    assert not fields & FORBIDDEN_FIELDS
    assert not [f for f in fields if any(fragment in f for fragment in FORBIDDEN_FRAGMENTS)]


def test_the_asyncapi_document_is_up_to_date() -> None:
    document = asyncapi_document()
    text = to_yaml(document)

    assert (DOCS / "asyncapi.yaml").read_text(encoding="utf-8") == text, (
        "docs/asyncapi.yaml is stale: run `python -m campus_events.asyncapi`"
    )
    assert yaml.safe_load(text) == document


def test_the_asyncapi_document_has_a_channel_and_an_operation_per_event() -> None:
    document = asyncapi_document()

    assert document["asyncapi"] == "3.0.0"
    assert document["servers"]["development"] == {
        **document["servers"]["development"],
        "host": "localhost:4222",
    }
    assert {s["protocol"] for s in document["servers"].values()} == {"nats"}
    addresses = {c["address"] for c in document["channels"].values()}
    assert "campus.catalog.public.course.CoursePublished" in addresses
    assert "campus.funding.{scope}.request.FundingRequested" in addresses
    assert "campus.funding.public.envelope.EnvelopeFundsReserved" in addresses
    assert len(document["channels"]) == len(document["operations"]) == 43
    assert all(op["action"] == "receive" for op in document["operations"].values())
    for channel in document["channels"].values():
        assert ("{scope}" in channel["address"]) == ("parameters" in channel)
    assert {t["name"] for t in document["info"]["tags"]} == {f"CAMPUS_{c.upper()}" for c in CONTEXTS}


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def test_every_asyncapi_reference_resolves_and_examples_validate() -> None:
    document = asyncapi_document()
    for ref in _refs(document):
        assert ref.startswith("#/") and _resolve(document, ref) is not None, ref
    schemas = document["components"]["schemas"]
    for message in document["components"]["messages"].values():
        payload = {**message["payload"], "$defs": schemas}
        text = json.dumps(payload).replace("#/components/schemas/", "#/$defs/")
        validator = Draft202012Validator(json.loads(text))
        for example in message["examples"]:
            assert list(validator.iter_errors(example["payload"])) == []


def test_a_service_gets_the_document_of_its_own_context() -> None:
    document = asyncapi_document(["funding"])

    assert len(document["channels"]) == 10
    assert all(c["address"].startswith("campus.funding.") for c in document["channels"].values())


def test_unknown_fields_are_ignored() -> None:
    sample = SAMPLES[registry.model("FundingApproved", 1)]
    data = {**sample.event.model_dump(mode="json"), "added_in_a_later_minor": {"x": 1}}

    assert registry.decode("FundingApproved", 1, data) == sample.event


def test_an_upcaster_turns_old_data_into_the_newest_model() -> None:
    local = Registry()

    @local.register
    class ParcelShippedV1(CampusEvent):
        context = "catalog"
        aggregate = "course"
        event_type = "ParcelShipped"
        weight_grams: int

    @local.register
    class ParcelShippedV2(CampusEvent):
        context = "catalog"
        aggregate = "course"
        event_type = "ParcelShipped"
        version = 2
        weight_grams: int
        carrier: str

    @local.upcaster("ParcelShipped", 1)
    def add_carrier(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "carrier": "unknown"}

    decoded = local.decode("ParcelShipped", 1, {"weight_grams": 1200})

    assert decoded == ParcelShippedV2(weight_grams=1200, carrier="unknown")
    assert isinstance(ParcelShippedV1(weight_grams=1), CampusEvent)


def test_samples_cover_every_event_with_stable_ids() -> None:
    again = samples()

    assert set(SAMPLES) == set(registry)
    assert all(isinstance(s, Sample) for s in SAMPLES.values())
    assert {m: sample_envelope(s) for m, s in SAMPLES.items()} == {
        m: sample_envelope(s) for m, s in again.items()
    }
    scoped = [s for s in SAMPLES.values() if not s.event.public]
    assert all(sample_envelope(s).ministry != PUBLIC for s in scoped)
