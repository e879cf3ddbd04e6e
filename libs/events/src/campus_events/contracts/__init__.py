"""The Campus event contracts: importing this package fills ``campus_events.registry.registry``.

One pydantic model per event type and version, grouped per context; shared vocabularies are in
``vocab``. A consumer imports the same model the producer writes:

>>> from campus_events.contracts import CourseCompleted
>>> CourseCompleted.cloudevents_type()
'fr.gouv.campus.enrollment.CourseCompleted.v1'
"""

from __future__ import annotations

from . import catalog, enrollment, funding, projects, trainers, vocab
from .catalog import (
    CourseArchived,
    CourseProposed,
    CoursePublished,
    CourseRejected,
    CourseRevised,
    LearningPathDefined,
    LearningPathPublished,
    SessionCancelled,
    SessionCapacityChanged,
    SessionRescheduled,
    SessionScheduled,
)
from .enrollment import (
    AgentEnrolled,
    AgentWaitlisted,
    CourseCompleted,
    CourseRated,
    EnrollmentCancelled,
    LearningPathCompleted,
    WaitlistPromoted,
)
from .funding import (
    EnvelopeFundsReleased,
    EnvelopeFundsReserved,
    EnvelopeOpened,
    FundingApproved,
    FundingDisbursed,
    FundingDismissed,
    FundingRejected,
    FundingReleased,
    FundingRequested,
    FundingReviewStarted,
)
from .projects import (
    DesignedModule,
    EvaluationRecorded,
    ImplementationRecorded,
    NeedsAnalysisRecorded,
    ProjectAbandoned,
    ProjectOpened,
    ProjectStageAdvanced,
    TrainingPathDesigned,
)
from .trainers import (
    SupportRequested,
    SupportRequestResolved,
    TrainerProfileUpdated,
    TrainerRegistered,
    TrainerWithdrawn,
    TrainingActivityLogged,
    TrainingIdeaShared,
    TrainingIdeaSupported,
)
from .vocab import ProfileCount, ProfileReach

__all__ = [
    "AgentEnrolled",
    "AgentWaitlisted",
    "CourseArchived",
    "CourseCompleted",
    "CourseProposed",
    "CoursePublished",
    "CourseRated",
    "CourseRejected",
    "CourseRevised",
    "DesignedModule",
    "EnrollmentCancelled",
    "EnvelopeFundsReleased",
    "EnvelopeFundsReserved",
    "EnvelopeOpened",
    "EvaluationRecorded",
    "FundingApproved",
    "FundingDisbursed",
    "FundingDismissed",
    "FundingRejected",
    "FundingReleased",
    "FundingRequested",
    "FundingReviewStarted",
    "ImplementationRecorded",
    "LearningPathCompleted",
    "LearningPathDefined",
    "LearningPathPublished",
    "NeedsAnalysisRecorded",
    "ProfileCount",
    "ProfileReach",
    "ProjectAbandoned",
    "ProjectOpened",
    "ProjectStageAdvanced",
    "SessionCancelled",
    "SessionCapacityChanged",
    "SessionRescheduled",
    "SessionScheduled",
    "SupportRequestResolved",
    "SupportRequested",
    "TrainerProfileUpdated",
    "TrainerRegistered",
    "TrainerWithdrawn",
    "TrainingActivityLogged",
    "TrainingIdeaShared",
    "TrainingIdeaSupported",
    "TrainingPathDesigned",
    "WaitlistPromoted",
    "catalog",
    "enrollment",
    "funding",
    "projects",
    "trainers",
    "vocab",
]
