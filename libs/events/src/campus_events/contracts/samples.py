"""One valid sample of every event type, for tests and the AsyncAPI examples.

Illustrative values only (demo data, not real records). Ids are derived from labels with
UUIDv5, so the samples and the documents generated from them are stable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid5

from ..envelope import Actor, Envelope, envelope_for
from ..registry import PUBLIC, CampusEvent
from . import catalog as cat
from . import enrollment as enr
from . import funding as fun
from . import projects as prj
from . import trainers as trn
from .vocab import (
    ActivityKind,
    CancellationReason,
    CourseKind,
    EnrollmentStatus,
    FundingIntent,
    Modality,
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


AGENT, MANAGER, STAFF, TRAINER, COMMITTEE = (
    sample_id(who) for who in ("agent", "manager", "staff", "trainer", "committee")
)
COURSE, SESSION, PATH = sample_id("course"), sample_id("session"), sample_id("path")
ENROLLMENT, PROJECT, ENVELOPE, REQUEST = (
    sample_id(what) for what in ("enrollment", "project", "envelope", "request")
)
IDEA, SUPPORT, ACTIVITY = sample_id("idea"), sample_id("support"), sample_id("activity")


class Sample(NamedTuple):
    """A sample event, the id of the aggregate it belongs to, and who caused it."""

    event: CampusEvent
    aggregate_id: UUID
    actor: Actor


def _course_description() -> dict[str, object]:
    return {
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


def _catalog() -> list[Sample]:
    staff = Actor(id=STAFF, role=Role.CAMPUS_STAFF)
    trainer = Actor(id=TRAINER, role=Role.AGENT)
    starts = datetime(2025, 4, 3, 8, 0, tzinfo=UTC)
    ends = datetime(2025, 4, 3, 12, 0, tzinfo=UTC)
    session = {"session_id": SESSION, "course_id": COURSE}
    return [
        Sample(cat.CourseProposed(**_course_description(), proposed_by=TRAINER), COURSE, trainer),  # type: ignore[arg-type]
        Sample(
            cat.CourseRevised(**_course_description(), revised_by=STAFF, changed_fields=["summary"]),  # type: ignore[arg-type]
            COURSE,
            staff,
        ),
        Sample(cat.CoursePublished(course_id=COURSE), COURSE, staff),
        Sample(cat.CourseRejected(course_id=COURSE, reason="Déjà couvert par SecNumacadémie."), COURSE, staff),
        Sample(cat.CourseArchived(course_id=COURSE, reason="Remplacée par une nouvelle version."), COURSE, staff),
        Sample(
            cat.SessionScheduled(
                **session,
                starts_at=starts,
                ends_at=ends,
                capacity=20,
                location="20 avenue de Ségur, Paris",
                trainer_ids=[TRAINER],
            ),
            SESSION,
            staff,
        ),
        Sample(
            cat.SessionRescheduled(
                **session, starts_at=starts.replace(day=10), ends_at=ends.replace(day=10), trainer_ids=[TRAINER]
            ),
            SESSION,
            staff,
        ),
        Sample(cat.SessionCapacityChanged(**session, capacity=25, previous_capacity=20), SESSION, staff),
        Sample(cat.SessionCancelled(**session, reason="Intervenant indisponible."), SESSION, staff),
        Sample(
            cat.LearningPathDefined(
                path_id=PATH,
                title="Parcours métier : product manager",
                summary="Devenir product manager dans l'administration.",
                course_ids=[COURSE, sample_id("course-2")],
                target_job="product manager",
                reconversion=True,
                themes=[Theme.AGILITE_PRODUIT],
            ),
            PATH,
            staff,
        ),
        Sample(cat.LearningPathPublished(path_id=PATH), PATH, staff),
    ]


def _enrollment() -> list[Sample]:
    agent = Actor(id=AGENT, role=Role.AGENT)
    staff = Actor(id=STAFF, role=Role.CAMPUS_STAFF)
    who = {"enrollment_id": ENROLLMENT, "agent_id": AGENT, "ministry": MINISTRY, "course_id": COURSE}
    seat = {**who, "session_id": SESSION}
    return [
        Sample(enr.AgentEnrolled(**who, enrolled_by=AGENT), ENROLLMENT, agent),  # type: ignore[arg-type]
        Sample(enr.AgentWaitlisted(**seat, enrolled_by=MANAGER, waitlist_position=3), ENROLLMENT, agent),  # type: ignore[arg-type]
        Sample(
            enr.WaitlistPromoted(**seat, freed_by_enrollment_id=sample_id("enrollment-2")),  # type: ignore[arg-type]
            ENROLLMENT,
            Actor(),
        ),
        Sample(
            enr.EnrollmentCancelled(  # type: ignore[arg-type]
                **seat, reason=CancellationReason.AGENT, previous_status=EnrollmentStatus.ENROLLED
            ),
            ENROLLMENT,
            agent,
        ),
        Sample(
            enr.CourseCompleted(  # type: ignore[arg-type]
                **seat, attestation_id=sample_id("attestation"), completed_at=AT, completed_by=TRAINER
            ),
            ENROLLMENT,
            Actor(id=TRAINER, role=Role.AGENT),
        ),
        Sample(enr.CourseRated(**seat, score=5, comment="Très concret."), ENROLLMENT, agent),  # type: ignore[arg-type]
        Sample(
            enr.LearningPathCompleted(
                path_id=PATH,
                agent_id=AGENT,
                ministry=MINISTRY,
                course_ids=[COURSE, sample_id("course-2")],
                enrollment_ids=[ENROLLMENT, sample_id("enrollment-2")],
                completed_at=AT,
            ),
            ENROLLMENT,
            Actor(),
        ),
    ]


def _projects() -> list[Sample]:
    staff = Actor(id=STAFF, role=Role.CAMPUS_STAFF)
    profiles = [ProfileCount(profile="chargé d'études", count=30), ProfileCount(profile="encadrant", count=6)]
    module = prj.DesignedModule(
        title="Demi-journée IA générative sur nos processus",
        trainer_ids=[TRAINER],
        modality=Modality.IN_PERSON,
        duration_minutes=210,
    )
    reach = [ProfileReach(profile="chargé d'études", agents_targeted=30, agents_reached=27)]
    return [
        Sample(
            prj.ProjectOpened(
                project_id=PROJECT,
                ministry=MINISTRY,
                title="L'IA générative au service de l'investissement public",
                service="Bureau de l'évaluation des investissements",
                team_size=36,
                agent_profiles=profiles,
                expectations="Comprendre et utiliser l'IA générative dans nos métiers.",
                opened_by=MANAGER,
            ),
            PROJECT,
            Actor(id=MANAGER, role=Role.MANAGER),
        ),
        Sample(
            prj.NeedsAnalysisRecorded(
                project_id=PROJECT,
                findings="Compétences numériques inégales ; peu d'usage des outils collaboratifs.",
                agent_profiles=profiles,
                expectations="Des cas d'usage sur les processus du service.",
                team_culture="Équipe d'experts, habituée aux notes écrites.",
            ),
            PROJECT,
            staff,
        ),
        Sample(
            prj.TrainingPathDesigned(
                project_id=PROJECT,
                modules=[module, prj.DesignedModule(title="MOOC", course_id=COURSE, modality=Modality.ONLINE, duration_minutes=60)],
                content_production="Cas pratiques tirés des dossiers du service, produits par le Campus.",
                estimated_cost_cents=4_500_000,
                funding_intent=FundingIntent.FTAP,
            ),
            PROJECT,
            staff,
        ),
        Sample(
            prj.ProjectStageAdvanced(
                project_id=PROJECT, from_stage=ProjectStage.DESIGN, to_stage=ProjectStage.IMPLEMENTATION
            ),
            PROJECT,
            staff,
        ),
        Sample(
            prj.ImplementationRecorded(
                project_id=PROJECT, sessions_delivered=2, participants=27, modality=Modality.IN_PERSON
            ),
            PROJECT,
            staff,
        ),
        Sample(
            prj.EvaluationRecorded(
                project_id=PROJECT, indicators=reach, satisfaction_rate=0.92, savings_cents=1_200_000
            ),
            PROJECT,
            staff,
        ),
        Sample(
            prj.ProjectAbandoned(project_id=PROJECT, reason="Réorganisation du service.", stage=ProjectStage.DESIGN),
            PROJECT,
            Actor(id=MANAGER, role=Role.MANAGER),
        ),
    ]


def _funding() -> list[Sample]:
    committee = Actor(id=COMMITTEE, role=Role.FUNDING_COMMITTEE)
    ref = {"request_id": REQUEST, "project_id": PROJECT, "envelope_id": ENVELOPE}
    return [
        Sample(
            fun.EnvelopeOpened(
                envelope_id=ENVELOPE,
                name="Guichet FTAP Campus du numérique 2025 (démo)",
                year=2025,
                amount_cents=200_000_000,
                min_project_cents=2_000_000,
                max_project_cents=30_000_000,
                max_rate=0.5,
            ),
            ENVELOPE,
            committee,
        ),
        Sample(
            fun.EnvelopeFundsReserved(envelope_id=ENVELOPE, request_id=REQUEST, amount_cents=2_000_000),
            ENVELOPE,
            committee,
        ),
        Sample(
            fun.EnvelopeFundsReleased(envelope_id=ENVELOPE, request_id=REQUEST, amount_cents=250_000),
            ENVELOPE,
            committee,
        ),
        Sample(
            fun.FundingRequested(
                **ref,
                ministry=MINISTRY,
                project_cost_cents=4_500_000,
                requested_cents=2_250_000,
                agents_targeted=[ProfileCount(profile="chargé d'études", count=30)],
                expected_satisfaction_rate=0.85,
                expected_savings_cents=1_000_000,
                criteria=[SelectionCriterion.IMPACT, SelectionCriterion.POOLABILITY],
                summary="Former 30 agents à l'IA générative sur leurs propres processus.",
                requested_by=MANAGER,
            ),
            REQUEST,
            Actor(id=MANAGER, role=Role.MANAGER),
        ),
        Sample(fun.FundingReviewStarted(**ref), REQUEST, committee),
        Sample(fun.FundingApproved(**ref, granted_cents=2_000_000, motivation="Fort potentiel de mutualisation."), REQUEST, committee),
        Sample(fun.FundingRejected(**ref, motivation="Formation à un outil propre au ministère."), REQUEST, committee),
        Sample(fun.FundingDismissed(**ref, motivation="Dossier incomplet."), REQUEST, committee),
        Sample(fun.FundingDisbursed(**ref, amount_cents=1_000_000, tranche=1), REQUEST, committee),
        Sample(fun.FundingReleased(**ref, released_cents=250_000), REQUEST, committee),
    ]


def _trainers() -> list[Sample]:
    trainer = Actor(id=TRAINER, role=Role.AGENT)
    staff = Actor(id=STAFF, role=Role.CAMPUS_STAFF)
    profile = {
        "trainer_id": TRAINER,
        "ministry": MINISTRY,
        "kind": TrainerKind.INTERNAL,
        "expertise": [Theme.DATA, Theme.AGILITE_PRODUIT],
        "bio": "Data scientist, anime des ateliers sur l'IA générative.",
        "availability": "Deux demi-journées par mois.",
    }
    support = {"support_request_id": SUPPORT, "trainer_id": TRAINER}
    return [
        Sample(trn.TrainerRegistered(**profile), TRAINER, trainer),  # type: ignore[arg-type]
        Sample(trn.TrainerProfileUpdated(**{**profile, "availability": "Une journée par mois."}), TRAINER, trainer),  # type: ignore[arg-type]
        Sample(trn.TrainerWithdrawn(trainer_id=TRAINER, reason="Mobilité."), TRAINER, trainer),
        Sample(
            trn.TrainingIdeaShared(
                idea_id=IDEA,
                title="Matinée IA pour les encadrants",
                description="Une matinée pour décider où l'IA générative aide vraiment une équipe.",
                themes=[Theme.TRANSFORMATION_NUMERIQUE],
                shared_by=AGENT,
            ),
            IDEA,
            Actor(id=AGENT, role=Role.AGENT),
        ),
        Sample(trn.TrainingIdeaSupported(idea_id=IDEA, agent_id=MANAGER), IDEA, Actor(id=MANAGER, role=Role.AGENT)),
        Sample(
            trn.SupportRequested(  # type: ignore[arg-type]
                **support,
                title="Scénariser un module sur la donnée",
                description="Besoin d'aide en ingénierie pédagogique pour un module en ligne.",
                themes=[Theme.DATA],
            ),
            SUPPORT,
            trainer,
        ),
        Sample(trn.SupportRequestResolved(**support, resolution="Atelier de scénarisation tenu."), SUPPORT, staff),  # type: ignore[arg-type]
        Sample(
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
            ACTIVITY,
            trainer,
        ),
    ]


def samples() -> dict[type[CampusEvent], Sample]:
    """One sample per registered event type."""
    every = _catalog() + _enrollment() + _projects() + _funding() + _trainers()
    return {type(s.event): s for s in every}


def sample_envelope(sample: Sample) -> Envelope:
    """The sample wrapped as it would be published, with a stable id and time."""
    event = sample.event
    ministry = PUBLIC if event.public else MINISTRY
    envelope = envelope_for(event, sample.aggregate_id, ministry=ministry, actor=sample.actor)
    return envelope.model_copy(
        update={"id": sample_id(f"event/{event.schema_name()}"), "occurred_at": AT, "stream_version": 1}
    )
