"""Vocabularies shared by the contracts: theme slugs, kinds, modalities, stages, roles.

Enumerations are ``StrEnum`` so that a member compares equal to its wire value
(``Modality.ONLINE == "online"``). Annotated aliases carry the shape rules that hold
everywhere: money in non-negative integer cents, rates as fractions, aware UTC times.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from ..envelope import MINISTRY_CODE


class Theme(StrEnum):
    """An expertise family of the Campus catalogue (a theme slug)."""

    AGILITE_PRODUIT = "agilite-produit"
    COMMUNS_LOGICIELS_LIBRES = "communs-logiciels-libres"
    CYBERSECURITE = "cybersecurite"
    DATA = "data"
    DESIGN_ACCESSIBILITE = "design-accessibilite"
    ENVIRONNEMENT_NUMERIQUE_TRAVAIL = "environnement-numerique-travail"
    NUMERIQUE_RESPONSABLE = "numerique-responsable"
    TECHNOLOGIE_INFRASTRUCTURES = "technologie-infrastructures"
    TRANSFORMATION_NUMERIQUE = "transformation-numerique"


class CourseKind(StrEnum):
    """The format of a catalogue entry."""

    FORMATION = "formation"
    PARCOURS = "parcours"
    CYCLE = "cycle"
    SEMINAIRE = "seminaire"
    UNIVERSITE_ETE = "universite_ete"
    PROGRAMME = "programme"
    MOOC = "mooc"
    BOOSTER = "booster"


class Modality(StrEnum):
    """How a training is attended."""

    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class Pace(StrEnum):
    """Self-paced (enrol any time, no session) or scheduled (enrol in a dated session)."""

    SELF_PACED = "self_paced"
    SCHEDULED = "scheduled"


class EnrollmentStatus(StrEnum):
    """Where an agent's enrolment stands."""

    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class CancellationReason(StrEnum):
    """Why an enrolment ended before completion."""

    AGENT = "agent"
    STAFF = "staff"
    SESSION_CANCELLED = "session_cancelled"
    COURSE_CLOSED = "course_closed"


class ProjectStage(StrEnum):
    """Stages of an accompanied training project, in order; ``abandoned`` ends it early."""

    NEEDS_ANALYSIS = "needs_analysis"
    DESIGN = "design"
    IMPLEMENTATION = "implementation"
    EVALUATION = "evaluation"
    CLOSED = "closed"
    ABANDONED = "abandoned"


class FundingIntent(StrEnum):
    """How a designed training path is meant to be paid for."""

    OWN_BUDGET = "own_budget"
    FTAP = "ftap"


class SelectionCriterion(StrEnum):
    """The FTAP guichet's selection criteria a funding request addresses."""

    IMPACT = "impact"
    COMPLEMENTARITY = "complementarity"
    NEEDS_FIT = "needs_fit"
    PEER_TRANSFER = "peer_transfer"
    POOLABILITY = "poolability"
    SAVINGS = "savings"


class TrainerKind(StrEnum):
    """An internal trainer (paid activité accessoire) or an external one of general interest."""

    INTERNAL = "internal"
    EXTERNAL_GENERAL_INTEREST = "external_general_interest"


class ActivityKind(StrEnum):
    """The trainer activities that count toward remuneration."""

    PEDAGOGICAL_ENGINEERING = "pedagogical_engineering"
    FACE_TO_FACE = "face_to_face"
    EVALUATION = "evaluation"


class Role(StrEnum):
    """Token roles (being a trainer is not a role)."""

    AGENT = "agent"
    MANAGER = "manager"
    CAMPUS_STAFF = "campus_staff"
    FUNDING_COMMITTEE = "funding_committee"
    ADMIN = "admin"


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 or 9999-12-31T23:00-05:00: no such instant in UTC
        raise ValueError("out of range: the instant must fall within years 1 to 9999 in UTC") from None


AgentId = Annotated[UUID, Field(description="A person's stable pseudonymous id (the token's `sub`).")]
Cents = Annotated[int, Field(ge=0, description="An amount in euro cents.")]
Rate = Annotated[float, Field(ge=0, le=1, description="A fraction: 0.5 is 50 %.")]
UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
MinistryCode = Annotated[str, Field(pattern=MINISTRY_CODE.pattern, description="A ministry code.")]


class Part(BaseModel):
    """Base of the value objects nested in events: frozen, tolerant of unknown fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ProfileCount(Part):
    """A number of agents of one profile (e.g. ``développeur``, ``chef de projet``)."""

    profile: str = Field(min_length=1)
    count: int = Field(ge=0)


class ProfileReach(Part):
    """FTAP indicator for one profile: agents targeted, then actually reached."""

    profile: str = Field(min_length=1)
    agents_targeted: int = Field(ge=0)
    agents_reached: int = Field(ge=0)
