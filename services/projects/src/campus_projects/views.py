"""How a project's state is shown: the write responses and the projection's stored document."""

from __future__ import annotations

from typing import Any

from campus_events.registry import CampusEvent

from .api.schemas import ProjectOut
from .domain.state import ProjectState


def _step(event: CampusEvent | None) -> dict[str, Any] | None:
    return None if event is None else event.model_dump(mode="json", exclude={"project_id"})


def project_out(state: ProjectState) -> ProjectOut:
    assert state.id is not None
    return ProjectOut(
        id=state.id,
        ministry=state.ministry,
        title=state.title,
        service=state.service,
        team_size=state.team_size,
        agent_profiles=[p.model_dump(mode="json") for p in state.agent_profiles],
        expectations=state.expectations,
        opened_by=state.opened_by,
        opened_at=state.opened_at,
        stage=state.stage,
        stage_entered_at=state.stage_entered_at,
        needs_analysis=_step(state.needs_analysis),
        design=_step(state.design),
        implementation=_step(state.implementation),
        evaluation=_step(state.evaluation),
        abandoned_reason=state.abandoned_reason,
        version=state.version,
    )
