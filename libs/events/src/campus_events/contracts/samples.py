"""One valid sample of every event type, for tests and the AsyncAPI examples.

The data (in ``sample_data``) is written as it travels, enum values as strings, and validated
by each event's model here. Illustrative values only (demo data, not real records).
"""

from __future__ import annotations

from typing import NamedTuple
from uuid import UUID

from ..envelope import Actor, Envelope, envelope_for
from ..registry import PUBLIC, CampusEvent, Registry, registry
from . import sample_data
from .sample_data import AT, MINISTRY, RAW, sample_id

__all__ = ["AT", "MINISTRY", "Sample", "sample_envelope", "sample_id", "samples"]

AGGREGATE_IDS = {
    "course": sample_data.COURSE,
    "session": sample_data.SESSION,
    "path": sample_data.PATH,
    "enrollment": sample_data.ENROLLMENT,
    "project": sample_data.PROJECT,
    "envelope": sample_data.ENVELOPE,
    "request": sample_data.REQUEST,
    "trainer": sample_data.TRAINER,
    "idea": sample_data.IDEA,
    "support": sample_data.SUPPORT,
    "activity": sample_data.ACTIVITY,
}


class Sample(NamedTuple):
    """A sample event, the id of the aggregate it belongs to, and who caused it."""

    event: CampusEvent
    aggregate_id: UUID
    actor: Actor


def samples(reg: Registry = registry) -> dict[type[CampusEvent], Sample]:
    """One sample per event type (version 1), keyed by its model."""
    built = {}
    for event_type, actor, fields in RAW:
        event = reg.model(event_type, 1).model_validate(fields)
        built[type(event)] = Sample(event, AGGREGATE_IDS[event.aggregate], actor)
    return built


def sample_envelope(sample: Sample) -> Envelope:
    """The sample wrapped as it would be published, with a stable id, time and correlation id."""
    event = sample.event
    envelope = envelope_for(
        event,
        sample.aggregate_id,
        ministry=PUBLIC if event.public else MINISTRY,
        actor=sample.actor,
        correlation_id=sample_id(f"correlation/{event.aggregate}"),
    )
    return envelope.model_copy(
        update={"id": sample_id(f"event/{event.schema_name()}"), "occurred_at": AT, "stream_version": 1}
    )
