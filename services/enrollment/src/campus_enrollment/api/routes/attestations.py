"""The attestation of a completed enrolment, as a PDF."""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import APIRouter, Response

from campus_service import ConflictError
from campus_service.deps import PoolDep
from campus_service.routing import CampusRoute

from ... import catalog
from ...attestation import Attestation, render
from ..deps import CallerDep
from .enrollments import of_enrollment, visible

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["enrollments"])


@router.get(
    "/enrollments/{enrollment_id}/attestation",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The attestation (PDF)."}},
    dependencies=[of_enrollment("the enrolled agent")],
)
async def attestation(enrollment_id: UUID, caller: CallerDep, pool: PoolDep) -> Response:
    row = await visible(pool, caller, enrollment_id, manager=False)
    if row["status"] != "completed" or row["attestation_id"] is None:
        raise ConflictError("an attestation exists only once the course is completed")
    profile = await pool.fetchrow(
        "SELECT given_name, usual_name FROM agent_profiles WHERE agent_id = $1", row["agent_id"]
    )
    name = " ".join(p for p in (profile["given_name"], profile["usual_name"]) if p) if profile else ""
    course = await catalog.course(pool, row["course_id"])
    session = await catalog.session(pool, row["session_id"]) if row["session_id"] else None
    document = Attestation(
        attestation_id=row["attestation_id"],
        agent_id=row["agent_id"],
        agent_name=name or None,
        ministry=row["ministry"],
        course_title=course.title if course else f"formation {row['course_id']}",
        completed_at=row["completed_at"],
        session_start=session.starts_at if session else None,
        session_end=session.ends_at if session else None,
    )
    pdf = await asyncio.to_thread(render, document)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="attestation-{row["attestation_id"]}.pdf"'},
    )
