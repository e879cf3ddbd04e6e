"""The sample data behind ``samples``: one event of each type, as it travels on the wire.

Illustrative values only (demo data, not real records). Ids are derived from labels with
UUIDv5, so the samples and the documents generated from them are stable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from ..envelope import Actor
from .vocab import Role

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
COURSE_2, ENROLLMENT_2 = sample_id("course-2"), sample_id("enrollment-2")
AS_AGENT, AS_TRAINER = Actor(id=AGENT, role=Role.AGENT), Actor(id=TRAINER, role=Role.AGENT)
AS_MANAGER, AS_STAFF = Actor(id=MANAGER, role=Role.MANAGER), Actor(id=STAFF, role=Role.CAMPUS_STAFF)
AS_COMMITTEE, AS_SYSTEM = Actor(id=COMMITTEE, role=Role.FUNDING_COMMITTEE), Actor()


COURSE_DESCRIPTION: dict[str, Any] = {
    "course_id": COURSE,
    "title": "Découvrir les IA génératives",
    "kind": "formation",
    "summary": "Comprendre ce que sont les IA génératives et les utiliser dans son travail.",
    "modality": "online",
    "themes": ["data", "transformation-numerique"],
    "objectives": ["Expliquer le fonctionnement d'un grand modèle de langage", "Rédiger un prompt"],
    "duration": "1 heure",
    "duration_minutes": 60,
    "pace": "self_paced",
    "sub_themes": ["intelligence-artificielle"],
    "audiences": ["tous les agents"],
    "organizers": ["Inria Academy"],
    "registration_url": "https://campus.example/inscription/ia-generatives",
}
STARTS, ENDS = datetime(2025, 4, 3, 8, 0, tzinfo=UTC), datetime(2025, 4, 3, 11, 30, tzinfo=UTC)
SESSION_REF = {"session_id": SESSION, "course_id": COURSE}
LOGISTICS = {**SESSION_REF, "location": "20 avenue de Ségur, Paris"}
WEEK = timedelta(days=7)
SEAT = {"enrollment_id": ENROLLMENT, "agent_id": AGENT, "ministry": MINISTRY, "course_id": COURSE}
IN_SESSION = {**SEAT, "session_id": SESSION}
PROFILES = [{"profile": "chargé d'études", "count": 30}, {"profile": "encadrant", "count": 6}]
REQUEST_REF = {"request_id": REQUEST, "project_id": PROJECT, "envelope_id": ENVELOPE}
TRAINER_PROFILE: dict[str, Any] = {
    "trainer_id": TRAINER,
    "ministry": MINISTRY,
    "kind": "internal",
    "expertise": ["data", "agilite-produit"],
}
SUPPORT_REF = {"support_request_id": SUPPORT, "trainer_id": TRAINER}
MODULES = [
    {
        "title": "L'IA et nos processus",
        "trainer_ids": [TRAINER],
        "modality": "in_person",
        "duration_minutes": 210,
    },
    {
        "title": "Découvrir les IA génératives",
        "course_id": COURSE,
        "modality": "online",
        "duration_minutes": 60,
    },
]

RAW: list[tuple[str, Actor, dict[str, Any]]] = [
    # catalog
    ("CourseProposed", AS_TRAINER, {**COURSE_DESCRIPTION, "proposed_by": TRAINER}),
    ("CourseRevised", AS_STAFF, {**COURSE_DESCRIPTION, "revised_by": STAFF, "changed_fields": ["summary"]}),
    ("CoursePublished", AS_STAFF, {"course_id": COURSE}),
    ("CourseRejected", AS_STAFF, {"course_id": COURSE, "reason": "Déjà couvert par SecNumacadémie."}),
    ("CourseArchived", AS_STAFF, {"course_id": COURSE, "reason": "Remplacé par une nouvelle version."}),
    (
        "SessionScheduled",
        AS_STAFF,
        {**LOGISTICS, "starts_at": STARTS, "ends_at": ENDS, "capacity": 20, "trainer_ids": [TRAINER]},
    ),
    (
        "SessionRescheduled",
        AS_STAFF,
        {**LOGISTICS, "starts_at": STARTS + WEEK, "ends_at": ENDS + WEEK, "trainer_ids": [TRAINER]},
    ),
    ("SessionCapacityChanged", AS_STAFF, {**SESSION_REF, "capacity": 25, "previous_capacity": 20}),
    ("SessionCancelled", AS_STAFF, {**SESSION_REF, "reason": "Intervenant indisponible."}),
    (
        "LearningPathDefined",
        AS_STAFF,
        {
            "path_id": PATH,
            "title": "Parcours métier : product manager",
            "summary": "Devenir product manager dans l'administration.",
            "course_ids": [COURSE, COURSE_2],
            "target_job": "product manager",
            "reconversion": True,
            "themes": ["agilite-produit"],
        },
    ),
    ("LearningPathPublished", AS_STAFF, {"path_id": PATH}),
    # enrollment
    ("AgentEnrolled", AS_AGENT, {**SEAT, "enrolled_by": AGENT}),
    (
        "AgentWaitlisted",
        AS_MANAGER,
        {**IN_SESSION, "enrolled_by": MANAGER, "waitlist_position": 3},
    ),
    ("WaitlistPromoted", AS_SYSTEM, {**IN_SESSION, "freed_by_enrollment_id": ENROLLMENT_2}),
    ("EnrollmentCancelled", AS_AGENT, {**IN_SESSION, "reason": "agent", "previous_status": "enrolled"}),
    (
        "CourseCompleted",
        AS_TRAINER,
        {**SEAT, "attestation_id": sample_id("attestation"), "completed_at": AT, "completed_by": TRAINER},
    ),
    ("CourseRated", AS_AGENT, {**IN_SESSION, "score": 5, "comment": "Très concret."}),
    (
        "LearningPathCompleted",
        AS_SYSTEM,
        {
            "path_id": PATH,
            "agent_id": AGENT,
            "ministry": MINISTRY,
            "course_ids": [COURSE, COURSE_2],
            "enrollment_ids": [ENROLLMENT, ENROLLMENT_2],
            "completed_at": AT,
        },
    ),
    # projects
    (
        "ProjectOpened",
        AS_MANAGER,
        {
            "project_id": PROJECT,
            "ministry": MINISTRY,
            "title": "L'IA générative au service de l'investissement public",
            "service": "Bureau de l'évaluation des investissements",
            "team_size": 36,
            "agent_profiles": PROFILES,
            "expectations": "Comprendre et utiliser l'IA générative dans nos métiers.",
            "opened_by": MANAGER,
        },
    ),
    (
        "NeedsAnalysisRecorded",
        AS_STAFF,
        {
            "project_id": PROJECT,
            "findings": "Compétences numériques inégales ; peu d'usage des outils collaboratifs.",
            "agent_profiles": PROFILES,
            "expectations": "Des cas d'usage sur les processus du service.",
            "team_culture": "Équipe d'experts, habituée aux notes écrites.",
        },
    ),
    (
        "TrainingPathDesigned",
        AS_STAFF,
        {
            "project_id": PROJECT,
            "modules": MODULES,
            "content_production": "Cas pratiques tirés des dossiers du service.",
            "estimated_cost_cents": 4_500_000,
            "funding_intent": "ftap",
        },
    ),
    (
        "ProjectStageAdvanced",
        AS_STAFF,
        {"project_id": PROJECT, "from_stage": "design", "to_stage": "implementation"},
    ),
    (
        "ImplementationRecorded",
        AS_STAFF,
        {"project_id": PROJECT, "sessions_delivered": 2, "participants": 27, "modality": "in_person"},
    ),
    (
        "EvaluationRecorded",
        AS_STAFF,
        {
            "project_id": PROJECT,
            "indicators": [{"profile": "chargé d'études", "agents_targeted": 30, "agents_reached": 27}],
            "satisfaction_rate": 0.92,
            "savings_cents": 1_200_000,
        },
    ),
    ("ProjectAbandoned", AS_MANAGER, {"project_id": PROJECT, "reason": "Réorganisation.", "stage": "design"}),
    # funding
    (
        "EnvelopeOpened",
        AS_COMMITTEE,
        {
            "envelope_id": ENVELOPE,
            "name": "Guichet FTAP Campus du numérique 2025 (démo)",
            "year": 2025,
            "amount_cents": 200_000_000,
            "min_project_cents": 2_000_000,
            "max_project_cents": 30_000_000,
            "max_rate": 0.5,
        },
    ),
    (
        "EnvelopeFundsReserved",
        AS_COMMITTEE,
        {"envelope_id": ENVELOPE, "request_id": REQUEST, "amount_cents": 2_000_000},
    ),
    (
        "EnvelopeFundsReleased",
        AS_COMMITTEE,
        {"envelope_id": ENVELOPE, "request_id": REQUEST, "amount_cents": 250_000},
    ),
    (
        "FundingRequested",
        AS_MANAGER,
        {
            **REQUEST_REF,
            "ministry": MINISTRY,
            "project_cost_cents": 4_500_000,
            "requested_cents": 2_250_000,
            "agents_targeted": PROFILES,
            "expected_satisfaction_rate": 0.85,
            "expected_savings_cents": 1_000_000,
            "criteria": ["impact", "poolability"],
            "summary": "Former 36 agents à l'IA générative sur leurs propres processus.",
            "requested_by": MANAGER,
        },
    ),
    ("FundingReviewStarted", AS_COMMITTEE, REQUEST_REF),
    (
        "FundingApproved",
        AS_COMMITTEE,
        {**REQUEST_REF, "granted_cents": 2_000_000, "motivation": "Mutualisable."},
    ),
    ("FundingRejected", AS_COMMITTEE, {**REQUEST_REF, "motivation": "Outil propre à un ministère."}),
    ("FundingDismissed", AS_COMMITTEE, {**REQUEST_REF, "motivation": "Dossier incomplet."}),
    ("FundingDisbursed", AS_COMMITTEE, {**REQUEST_REF, "amount_cents": 1_000_000, "tranche": 1}),
    ("FundingReleased", AS_COMMITTEE, {**REQUEST_REF, "released_cents": 250_000}),
    # trainers
    ("TrainerRegistered", AS_TRAINER, TRAINER_PROFILE),
    ("TrainerProfileUpdated", AS_TRAINER, {**TRAINER_PROFILE, "expertise": ["data"]}),
    ("TrainerWithdrawn", AS_TRAINER, {"trainer_id": TRAINER, "reason": "Mobilité."}),
    (
        "TrainingIdeaShared",
        AS_AGENT,
        {
            "idea_id": IDEA,
            "title": "Matinée IA pour les encadrants",
            "description": "Décider où l'IA générative aide vraiment une équipe.",
            "themes": ["transformation-numerique"],
            "shared_by": AGENT,
        },
    ),
    ("TrainingIdeaSupported", Actor(id=MANAGER, role=Role.AGENT), {"idea_id": IDEA, "agent_id": MANAGER}),
    (
        "SupportRequested",
        AS_TRAINER,
        {
            **SUPPORT_REF,
            "title": "Scénariser un module sur la donnée",
            "description": "Besoin d'aide en ingénierie pédagogique pour un module en ligne.",
            "themes": ["data"],
        },
    ),
    ("SupportRequestResolved", AS_STAFF, {**SUPPORT_REF, "resolution": "Atelier de scénarisation tenu."}),
    (
        "TrainingActivityLogged",
        AS_TRAINER,
        {
            "activity_id": ACTIVITY,
            "trainer_id": TRAINER,
            "ministry": MINISTRY,
            "kind": "face_to_face",
            "minutes": 210,
            "day": date(2025, 4, 3),
            "course_id": COURSE,
            "session_id": SESSION,
        },
    ),
]
