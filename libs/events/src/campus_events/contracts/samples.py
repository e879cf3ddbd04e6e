"""One valid sample of every event type, for tests and the AsyncAPI examples.

Illustrative values only (demo data, not real records). Ids are derived from labels with
UUIDv5, so the samples and the documents generated from them are stable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid5

from ..envelope import Actor, Envelope, envelope_for
from ..registry import PUBLIC, CampusEvent
from . import catalog as cat
from . import enrollment as enr
from . import funding as fun
from . import projects as prj
from . import trainers as trn
from .vocab import ActivityKind, CancellationReason, CourseKind, EnrollmentStatus, FundingIntent, Modality
from .vocab import (
    Pace,
    ProfileCount,
    ProfileReach,
    ProjectStage,
    Role,
    SelectionCriterion,
    Theme,
    TrainerKind,
)

MINISTRY = "mefsin"
AT = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


def sample_id(label: str) -> UUID:
    """A stable UUID for a label: ``sample_id("course")`` is the same in every run."""
    return uuid5(NAMESPACE_URL, f"https://campus.example/samples/{label}")


AGENT, MANAGER, STAFF, TRAINER, COMMITTEE = map(
    sample_id, ("agent", "manager", "staff", "trainer", "committee")
)
COURSE, SESSION, PATH, ENROLLMENT = map(sample_id, ("course", "session", "path", "enrollment"))
PROJECT, ENVELOPE, REQUEST = map(sample_id, ("project", "envelope", "request"))
IDEA, SUPPORT, ACTIVITY = map(sample_id, ("idea", "support", "activity"))
AGGREGATE_IDS = {
    "course": COURSE,
    "session": SESSION,
    "path": PATH,
    "enrollment": ENROLLMENT,
    "project": PROJECT,
    "envelope": ENVELOPE,
    "request": REQUEST,
    "trainer": TRAINER,
    "idea": IDEA,
    "support": SUPPORT,
    "activity": ACTIVITY,
}
AS_AGENT, AS_TRAINER = Actor(id=AGENT, role=Role.AGENT), Actor(id=TRAINER, role=Role.AGENT)
AS_MANAGER, AS_STAFF = Actor(id=MANAGER, role=Role.MANAGER), Actor(id=STAFF, role=Role.CAMPUS_STAFF)
AS_COMMITTEE, AS_SYSTEM = Actor(id=COMMITTEE, role=Role.FUNDING_COMMITTEE), Actor()


class Sample(NamedTuple):
    """A sample event, the id of the aggregate it belongs to, and who caused it."""

    event: CampusEvent
    aggregate_id: UUID
    actor: Actor


COURSE_DESCRIPTION: dict[str, Any] = {
    "course_id": COURSE,
    "title": "Découvrir les IA génératives",
    "kind": CourseKind.FORMATION,
    "summary": "Comprendre ce que sont les IA génératives et les utiliser dans son travail.",
    "modality": Modality.ONLINE,
    "themes": [Theme.DATA, Theme.TRANSFORMATION_NUMERIQUE],
    "objectives": ["Expliquer le fonctionnement d'un grand modèle de langage", "Rédiger un prompt"],
    "duration": "1 heure",
    "duration_minutes": 60,
    "pace": Pace.SELF_PACED,
    "sub_themes": ["intelligence-artificielle"],
    "audiences": ["tous les agents"],
    "organizers": ["Inria Academy"],
    "registration_url": "https://campus.example/inscription/ia-generatives",
}
STARTS, ENDS = datetime(2025, 4, 3, 8, 0, tzinfo=UTC), datetime(2025, 4, 3, 11, 30, tzinfo=UTC)
IN_SESSION = {"session_id": SESSION, "course_id": COURSE}
ENROLMENT = {
    "enrollment_id": ENROLLMENT,
    "agent_id": AGENT,
    "ministry": MINISTRY,
    "course_id": COURSE,
    "session_id": SESSION,
}
PROFILES = [ProfileCount(profile="chargé d'études", count=30), ProfileCount(profile="encadrant", count=6)]
REQUEST_REF = {"request_id": REQUEST, "project_id": PROJECT, "envelope_id": ENVELOPE}
TRAINER_PROFILE: dict[str, Any] = {
    "trainer_id": TRAINER,
    "ministry": MINISTRY,
    "kind": TrainerKind.INTERNAL,
    "expertise": [Theme.DATA, Theme.AGILITE_PRODUIT],
    "bio": "Data scientist, anime des ateliers sur l'IA générative.",
    "availability": "Deux demi-journées par mois.",
}
SUPPORT_REF = {"support_request_id": SUPPORT, "trainer_id": TRAINER}


def _events() -> list[tuple[CampusEvent, Actor]]:
    session_logistics = {"starts_at": STARTS, "ends_at": ENDS, "location": "20 avenue de Ségur, Paris"}
    module = {"title": "Demi-journée IA générative sur nos processus", "modality": Modality.IN_PERSON}
    return [
        # catalog
        (cat.CourseProposed.model_validate({**COURSE_DESCRIPTION, "proposed_by": TRAINER}), AS_TRAINER),
        (
            cat.CourseRevised.model_validate(
                {**COURSE_DESCRIPTION, "revised_by": STAFF, "changed_fields": ["summary"]}
            ),
            AS_STAFF,
        ),
        (cat.CoursePublished(course_id=COURSE), AS_STAFF),
        (cat.CourseRejected(course_id=COURSE, reason="Déjà couvert par SecNumacadémie."), AS_STAFF),
        (cat.CourseArchived(course_id=COURSE, reason="Remplacé par une nouvelle version."), AS_STAFF),
        (
            cat.SessionScheduled.model_validate(
                {**IN_SESSION, **session_logistics, "capacity": 20, "trainer_ids": [TRAINER]}
            ),
            AS_STAFF,
        ),
        (
            cat.SessionRescheduled.model_validate(
                {
                    **IN_SESSION,
                    **session_logistics,
                    "starts_at": STARTS.replace(day=10),
                    "ends_at": ENDS.replace(day=10),
                }
            ),
            AS_STAFF,
        ),
        (
            cat.SessionCapacityChanged.model_validate(
                {**IN_SESSION, "capacity": 25, "previous_capacity": 20}
            ),
            AS_STAFF,
        ),
        (
            cat.SessionCancelled.model_validate({**IN_SESSION, "reason": "Intervenant indisponible."}),
            AS_STAFF,
        ),
        (
            cat.LearningPathDefined(
                path_id=PATH,
                title="Parcours métier : product manager",
                summary="Devenir product manager dans l'administration.",
                course_ids=[COURSE, sample_id("course-2")],
                target_job="product manager",
                reconversion=True,
                themes=[Theme.AGILITE_PRODUIT],
            ),
            AS_STAFF,
        ),
        (cat.LearningPathPublished(path_id=PATH), AS_STAFF),
        # enrollment
        (enr.AgentEnrolled.model_validate({**ENROLMENT, "session_id": None, "enrolled_by": AGENT}), AS_AGENT),
        (
            enr.AgentWaitlisted.model_validate({**ENROLMENT, "enrolled_by": MANAGER, "waitlist_position": 3}),
            AS_MANAGER,
        ),
        (
            enr.WaitlistPromoted.model_validate(
                {**ENROLMENT, "freed_by_enrollment_id": sample_id("enrollment-2")}
            ),
            AS_SYSTEM,
        ),
        (
            enr.EnrollmentCancelled.model_validate(
                {
                    **ENROLMENT,
                    "reason": CancellationReason.AGENT,
                    "previous_status": EnrollmentStatus.ENROLLED,
                }
            ),
            AS_AGENT,
        ),
        (
            enr.CourseCompleted.model_validate(
                {
                    **ENROLMENT,
                    "attestation_id": sample_id("attestation"),
                    "completed_at": AT,
                    "completed_by": TRAINER,
                }
            ),
            AS_TRAINER,
        ),
        (enr.CourseRated.model_validate({**ENROLMENT, "score": 5, "comment": "Très concret."}), AS_AGENT),
        (
            enr.LearningPathCompleted(
                path_id=PATH,
                agent_id=AGENT,
                ministry=MINISTRY,
                course_ids=[COURSE, sample_id("course-2")],
                enrollment_ids=[ENROLLMENT, sample_id("enrollment-2")],
                completed_at=AT,
            ),
            AS_SYSTEM,
        ),
        # projects
        (
            prj.ProjectOpened(
                project_id=PROJECT,
                ministry=MINISTRY,
                title="L'IA générative au service de l'investissement public",
                service="Bureau de l'évaluation des investissements",
                team_size=36,
                agent_profiles=PROFILES,
                expectations="Comprendre et utiliser l'IA générative dans nos métiers.",
                opened_by=MANAGER,
            ),
            AS_MANAGER,
        ),
        (
            prj.NeedsAnalysisRecorded(
                project_id=PROJECT,
                findings="Compétences numériques inégales ; peu d'usage des outils collaboratifs.",
                agent_profiles=PROFILES,
                expectations="Des cas d'usage sur les processus du service.",
                team_culture="Équipe d'experts, habituée aux notes écrites.",
            ),
            AS_STAFF,
        ),
        (
            prj.TrainingPathDesigned.model_validate(
                {
                    "project_id": PROJECT,
                    "modules": [
                        {**module, "trainer_ids": [TRAINER], "duration_minutes": 210},
                        {
                            "title": "MOOC",
                            "course_id": COURSE,
                            "modality": Modality.ONLINE,
                            "duration_minutes": 60,
                        },
                    ],
                    "content_production": "Cas pratiques tirés des dossiers du service, produits par le Campus.",
                    "estimated_cost_cents": 4_500_000,
                    "funding_intent": FundingIntent.FTAP,
                }
            ),
            AS_STAFF,
        ),
        (
            prj.ProjectStageAdvanced(
                project_id=PROJECT, from_stage=ProjectStage.DESIGN, to_stage=ProjectStage.IMPLEMENTATION
            ),
            AS_STAFF,
        ),
        (
            prj.ImplementationRecorded(
                project_id=PROJECT, sessions_delivered=2, participants=27, modality=Modality.IN_PERSON
            ),
            AS_STAFF,
        ),
        (
            prj.EvaluationRecorded(
                project_id=PROJECT,
                indicators=[ProfileReach(profile="chargé d'études", agents_targeted=30, agents_reached=27)],
                satisfaction_rate=0.92,
                savings_cents=1_200_000,
            ),
            AS_STAFF,
        ),
        (
            prj.ProjectAbandoned(
                project_id=PROJECT, reason="Réorganisation du service.", stage=ProjectStage.DESIGN
            ),
            AS_MANAGER,
        ),
        # funding
        (
            fun.EnvelopeOpened(
                envelope_id=ENVELOPE,
                name="Guichet FTAP Campus du numérique 2025 (démo)",
                year=2025,
                amount_cents=200_000_000,
                min_project_cents=2_000_000,
                max_project_cents=30_000_000,
                max_rate=0.5,
            ),
            AS_COMMITTEE,
        ),
        (
            fun.EnvelopeFundsReserved(envelope_id=ENVELOPE, request_id=REQUEST, amount_cents=2_000_000),
            AS_COMMITTEE,
        ),
        (
            fun.EnvelopeFundsReleased(envelope_id=ENVELOPE, request_id=REQUEST, amount_cents=250_000),
            AS_COMMITTEE,
        ),
        (
            fun.FundingRequested.model_validate(
                {
                    **REQUEST_REF,
                    "ministry": MINISTRY,
                    "project_cost_cents": 4_500_000,
                    "requested_cents": 2_250_000,
                    "agents_targeted": [ProfileCount(profile="chargé d'études", count=30)],
                    "expected_satisfaction_rate": 0.85,
                    "expected_savings_cents": 1_000_000,
                    "criteria": [SelectionCriterion.IMPACT, SelectionCriterion.POOLABILITY],
                    "summary": "Former 30 agents à l'IA générative sur leurs propres processus.",
                    "requested_by": MANAGER,
                }
            ),
            AS_MANAGER,
        ),
        (fun.FundingReviewStarted.model_validate(REQUEST_REF), AS_COMMITTEE),
        (
            fun.FundingApproved.model_validate(
                {**REQUEST_REF, "granted_cents": 2_000_000, "motivation": "Fort potentiel de mutualisation."}
            ),
            AS_COMMITTEE,
        ),
        (
            fun.FundingRejected.model_validate(
                {**REQUEST_REF, "motivation": "Formation à un outil propre au ministère."}
            ),
            AS_COMMITTEE,
        ),
        (
            fun.FundingDismissed.model_validate({**REQUEST_REF, "motivation": "Dossier incomplet."}),
            AS_COMMITTEE,
        ),
        (
            fun.FundingDisbursed.model_validate({**REQUEST_REF, "amount_cents": 1_000_000, "tranche": 1}),
            AS_COMMITTEE,
        ),
        (fun.FundingReleased.model_validate({**REQUEST_REF, "released_cents": 250_000}), AS_COMMITTEE),
        # trainers
        (trn.TrainerRegistered.model_validate(TRAINER_PROFILE), AS_TRAINER),
        (
            trn.TrainerProfileUpdated.model_validate(
                {**TRAINER_PROFILE, "availability": "Une journée par mois."}
            ),
            AS_TRAINER,
        ),
        (trn.TrainerWithdrawn(trainer_id=TRAINER, reason="Mobilité."), AS_TRAINER),
        (
            trn.TrainingIdeaShared(
                idea_id=IDEA,
                title="Matinée IA pour les encadrants",
                description="Une matinée pour décider où l'IA générative aide vraiment une équipe.",
                themes=[Theme.TRANSFORMATION_NUMERIQUE],
                shared_by=AGENT,
            ),
            AS_AGENT,
        ),
        (trn.TrainingIdeaSupported(idea_id=IDEA, agent_id=MANAGER), Actor(id=MANAGER, role=Role.AGENT)),
        (
            trn.SupportRequested.model_validate(
                {
                    **SUPPORT_REF,
                    "title": "Scénariser un module sur la donnée",
                    "description": "Besoin d'aide en ingénierie pédagogique pour un module en ligne.",
                    "themes": [Theme.DATA],
                }
            ),
            AS_TRAINER,
        ),
        (
            trn.SupportRequestResolved.model_validate(
                {**SUPPORT_REF, "resolution": "Atelier de scénarisation tenu."}
            ),
            AS_STAFF,
        ),
        (
            trn.TrainingActivityLogged(
                activity_id=ACTIVITY,
                trainer_id=TRAINER,
                ministry=MINISTRY,
                kind=ActivityKind.FACE_TO_FACE,
                minutes=210,
                day=date(2025, 4, 3),
                course_id=COURSE,
                session_id=SESSION,
            ),
            AS_TRAINER,
        ),
    ]


def samples() -> dict[type[CampusEvent], Sample]:
    """One sample per registered event type, keyed by its model."""
    return {type(e): Sample(e, AGGREGATE_IDS[e.aggregate], actor) for e, actor in _events()}


def sample_envelope(sample: Sample) -> Envelope:
    """The sample wrapped as it would be published, with a stable id, time and correlation id."""
    event = sample.event
    ministry = PUBLIC if event.public else MINISTRY
    envelope = envelope_for(
        event,
        sample.aggregate_id,
        ministry=ministry,
        actor=sample.actor,
        correlation_id=sample_id(f"correlation/{event.aggregate}"),
    )
    return envelope.model_copy(
        update={"id": sample_id(f"event/{event.schema_name()}"), "occurred_at": AT, "stream_version": 1}
    )
