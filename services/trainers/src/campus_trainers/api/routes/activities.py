"""Trainers' paid activities (activité accessoire): logged by the day, totalled by year for pay."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from campus_service import UnprocessableError, require_roles, run_command
from campus_service.deps import CommandDep, PoolDep, StoreDep
from campus_service.roles import CAMPUS_STAFF
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ..gates import trainer_or_staff
from ..models import ActivityIn, ActivityOut, MinistryTotalsOut, TrainerActivitiesOut, YearTotalsOut
from ..pagination import Cursor, Limit, decode_cursor, next_cursor

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["activities"])
Year = Annotated[int | None, Query(ge=2000, le=2100)]


def _year(year: int | None) -> int:
    return year if year is not None else datetime.now(UTC).year


@router.post(
    "/trainers/{trainer_id}/activities",
    status_code=201,
    response_model=ActivityOut,
    dependencies=[trainer_or_staff()],
)
async def log_activity(trainer_id: UUID, body: ActivityIn, ctx: CommandDep, store: StoreDep) -> Response:
    """Log time by kind on a day (at most 24 hours a day in all); 422 beyond."""
    if body.day > datetime.now(UTC).date():
        reason = "an activity cannot be logged for a day to come"
        raise UnprocessableError(reason, errors=[{"field": "day", "reason": reason, "in": "body"}])
    return await run_command(ctx, store, lambda: handlers.log_activity(store, ctx, trainer_id, body))


@router.get(
    "/trainers/{trainer_id}/activities",
    response_model=TrainerActivitiesOut,
    dependencies=[trainer_or_staff()],
)
async def trainer_activities(
    trainer_id: UUID, pool: PoolDep, year: Year = None, limit: Limit = 50, cursor: Cursor = None
) -> TrainerActivitiesOut:
    """A year's activities of one trainer, with the year's totals in minutes by kind."""
    year, offset = _year(year), decode_cursor(cursor)
    rows = await queries.activities(pool, trainer_id, year, offset=offset, limit=limit + 1)
    return TrainerActivitiesOut(
        trainer_id=trainer_id,
        year=year,
        totals_minutes=await queries.trainer_year_totals(pool, trainer_id, year),
        items=[
            ActivityOut(
                id=r["activity_id"],
                trainer_id=r["trainer_id"],
                ministry=r["ministry"],
                kind=r["kind"],
                minutes=r["minutes"],
                day=r["day"],
                course_id=r["course_id"],
                session_id=r["session_id"],
            )
            for r in rows[:limit]
        ],
        next_cursor=next_cursor(offset, limit, len(rows)),
    )


async def _by_ministry(pool: PoolDep, year: int, ministry: str | None) -> list[MinistryTotalsOut]:
    trainers: dict[str, dict[str, list[dict[str, object]]]] = defaultdict(lambda: defaultdict(list))
    for r in await queries.year_totals(pool, year, ministry):
        trainers[r["ministry"]][str(r["trainer_id"])].append({"kind": r["kind"], "minutes": r["minutes"]})
    out = []
    for code, per_trainer in trainers.items():
        all_rows = [row for rows in per_trainer.values() for row in rows]
        out.append(
            MinistryTotalsOut(
                ministry=code,
                totals_minutes=queries.totals(all_rows),
                trainers={t: queries.totals(rows) for t, rows in per_trainer.items()},
            )
        )
    return out


@router.get("/activities/totals", response_model=YearTotalsOut, dependencies=[require_roles(CAMPUS_STAFF)])
async def year_totals(
    pool: PoolDep, year: Year = None, ministry: Annotated[str | None, Query(max_length=40)] = None
) -> YearTotalsOut:
    """Minutes per ministry and per trainer over a year, by kind: the basis of remuneration."""
    year = _year(year)
    return YearTotalsOut(year=year, ministries=await _by_ministry(pool, year, ministry))


@router.get(
    "/activities/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    dependencies=[require_roles(CAMPUS_STAFF)],
)
async def export_csv(pool: PoolDep, year: Year = None) -> Response:
    """One row per ministry and trainer: minutes by kind and in all, and hours (for the pay order)."""
    year = _year(year)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["year", "ministry", "trainer_id", *queries.KINDS, "total_minutes", "total_hours"])
    for ministry in await _by_ministry(pool, year, None):
        for trainer_id, t in ministry.trainers.items():
            writer.writerow(
                [
                    year,
                    ministry.ministry,
                    trainer_id,
                    t.pedagogical_engineering,
                    t.face_to_face,
                    t.evaluation,
                    t.total,
                    f"{t.total / 60:.2f}",
                ]
            )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="trainer-activities-{year}.csv"'},
    )
