"""A trainer's profile from its own projection of catalog and enrollment events, fed through JetStream."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import nats

from campus_events.contracts.catalog import (
    CourseProposed,
    CoursePublished,
    SessionCancelled,
    SessionScheduled,
)
from campus_events.contracts.enrollment import CourseCompleted
from campus_events.envelope import envelope_for
from campus_service.testing import eventually


def proposed(course_id: uuid.UUID, by: uuid.UUID) -> CourseProposed:
    return CourseProposed(
        course_id=course_id,
        title="Découvrir les IA génératives",
        kind="formation",
        summary="Une heure pour comprendre.",
        modality="online",
        themes=["data"],
        proposed_by=by,
    )


def session(session_id, course_id, trainer_id, starts_at) -> SessionScheduled:
    return SessionScheduled(
        session_id=session_id,
        course_id=course_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        capacity=12,
        join_url="https://webinaire.numerique.gouv.fr/x",
        trainer_ids=[trainer_id],
    )


async def test_profile_lists_proposed_published_courses_and_delivered_sessions(client, nats_server, tokens):
    me = uuid.uuid4()
    auth = tokens.auth(roles=["agent"], sub=me)
    assert (
        await client.post("/v1/trainers", json={"kind": "internal", "expertise": ["data"]}, headers=auth)
    ).status_code == 201
    published, only_proposed, someone_elses = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    past, future_completed, future, cancelled = (uuid.uuid4() for _ in range(4))
    now = datetime.now(UTC)
    envelopes = [
        envelope_for(proposed(published, me), published),
        envelope_for(proposed(only_proposed, me), only_proposed),
        envelope_for(proposed(someone_elses, uuid.uuid4()), someone_elses),
        envelope_for(CoursePublished(course_id=published), published),
        envelope_for(session(past, published, me, now - timedelta(days=3)), past),
        envelope_for(session(future_completed, published, me, now + timedelta(days=3)), future_completed),
        envelope_for(session(future, published, me, now + timedelta(days=5)), future),
        envelope_for(session(cancelled, published, me, now - timedelta(days=9)), cancelled),
        envelope_for(SessionCancelled(session_id=cancelled, course_id=published), cancelled),
        envelope_for(
            CourseCompleted(
                enrollment_id=uuid.uuid4(),
                agent_id=uuid.uuid4(),
                ministry="minarm",
                course_id=published,
                session_id=future_completed,
                attestation_id=uuid.uuid4(),
                completed_at=now,
                completed_by=me,
            ),
            uuid.uuid4(),
            ministry="minarm",
        ),
    ]
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        for envelope in envelopes:
            await js.publish(envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": str(envelope.id)})
    finally:
        await nc.close()

    async def profile():
        body = (await client.get(f"/v1/trainers/{me}", headers=auth)).json()
        return body if len(body["sessions_delivered"]) == 2 and body["courses_published"] else None

    body = await eventually(profile)
    assert body["courses_proposed"] == [str(published), str(only_proposed)]
    assert body["courses_published"] == [str(published)]
    assert body["sessions_delivered"] == [str(past), str(future_completed)]
