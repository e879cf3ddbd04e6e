"""The funding service's read models, fed from JetStream (one ``Projection`` per consumer).

* ``funding-projects``: which projects exist and their stage (from the projects service).
* ``funding-envelopes``: envelopes and their ledger; a movement counts once (keyed by event id),
  and the envelope's totals change only with the ledger row that justifies them.
* ``funding-requests``: the requests; a row applies an event only above its stored version.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from campus_events.consumer import Projection
from campus_events.envelope import Envelope

from .domain.state import RequestStatus


async def apply_project(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data, version = envelope.data, envelope.stream_version
    if envelope.type == "ProjectOpened":
        stage = "needs_analysis"
    elif envelope.type == "ProjectStageAdvanced":
        stage = data["to_stage"]
    elif envelope.type == "ProjectAbandoned":
        stage = "abandoned"
    else:
        return
    await conn.execute(
        "INSERT INTO funding_projects (project_id, ministry, stage, version) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (project_id) DO UPDATE SET stage = excluded.stage, version = excluded.version"
        " WHERE funding_projects.version < excluded.version",
        UUID(data["project_id"]),
        envelope.ministry,
        stage,
        version,
    )


LEDGER_KINDS = {
    "EnvelopeFundsReserved": ("reserved", "reserved_cents", 1),
    "EnvelopeFundsReleased": ("released", "reserved_cents", -1),
    "FundingDisbursed": ("disbursed", "disbursed_cents", 1),
}


async def apply_envelope(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data = envelope.data
    if envelope.type == "EnvelopeOpened":
        await conn.execute(
            "INSERT INTO funding_envelopes (envelope_id, name, year, amount_cents, min_project_cents,"
            " max_project_cents, max_rate, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (envelope_id) DO NOTHING",
            UUID(data["envelope_id"]),
            data["name"],
            data["year"],
            data["amount_cents"],
            data["min_project_cents"],
            data["max_project_cents"],
            data["max_rate"],
            envelope.occurred_at,
        )
        return
    if envelope.type not in LEDGER_KINDS:
        return
    kind, column, sign = LEDGER_KINDS[envelope.type]
    inserted = await conn.fetchval(
        "INSERT INTO funding_ledger (event_id, envelope_id, request_id, kind, amount_cents, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING RETURNING true",
        envelope.id,
        UUID(data["envelope_id"]),
        UUID(data["request_id"]),
        kind,
        data["amount_cents"],
        envelope.occurred_at,
    )
    if inserted:
        await conn.execute(
            f"UPDATE funding_envelopes SET {column} = {column} + $2 WHERE envelope_id = $1",
            UUID(data["envelope_id"]),
            sign * data["amount_cents"],
        )


async def apply_request(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data, version = envelope.data, envelope.stream_version
    if envelope.type == "FundingRequested":
        await conn.execute(
            "INSERT INTO funding_requests (request_id, project_id, envelope_id, ministry, status,"
            " project_cost_cents, requested_cents, agents_targeted, expected_satisfaction_rate,"
            " expected_savings_cents, criteria, summary, requested_by, requested_at, version)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            " ON CONFLICT (request_id) DO NOTHING",
            UUID(data["request_id"]),
            UUID(data["project_id"]),
            UUID(data["envelope_id"]),
            data["ministry"],
            RequestStatus.REQUESTED.value,
            data["project_cost_cents"],
            data["requested_cents"],
            data.get("agents_targeted", []),
            data["expected_satisfaction_rate"],
            data["expected_savings_cents"],
            data.get("criteria", []),
            data["summary"],
            UUID(data["requested_by"]),
            envelope.occurred_at,
            version,
        )
        return
    sets = _request_update(envelope)
    if sets is None:
        return
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(sets, start=3))
    await conn.execute(
        f"UPDATE funding_requests SET {assignments}, version = $2 WHERE request_id = $1 AND version < $2",
        UUID(data["request_id"]),
        version,
        *sets.values(),
    )


def _decision(envelope: Envelope, status: RequestStatus) -> dict[str, object]:
    """Who decided, when and why (the actor is a pseudonymous id, never a name)."""
    return {
        "status": status.value,
        "by": str(envelope.actor.id) if envelope.actor.id else None,
        "at": envelope.occurred_at.isoformat(),
        "motivation": envelope.data.get("motivation"),
    }


def _request_update(envelope: Envelope) -> dict[str, object] | None:
    data = envelope.data
    match envelope.type:
        case "FundingReviewStarted":
            return {"status": RequestStatus.UNDER_REVIEW.value}
        case "FundingApproved":
            return {
                "status": RequestStatus.APPROVED.value,
                "granted_cents": data["granted_cents"],
                "decision": _decision(envelope, RequestStatus.APPROVED),
            }
        case "FundingRejected" | "FundingDismissed":
            status = RequestStatus.REJECTED if envelope.type == "FundingRejected" else RequestStatus.DISMISSED
            return {"status": status.value, "decision": _decision(envelope, status)}
        case "FundingReleased":
            return {"status": RequestStatus.CLOSED.value, "released_cents": data["released_cents"]}
    return None


async def apply_funding(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """Own events: the ledger and envelopes first, then the request rows."""
    await apply_envelope(conn, envelope)
    if envelope.aggregate == "request":
        if envelope.type == "FundingDisbursed":
            await _apply_disbursed(conn, envelope)
        else:
            await apply_request(conn, envelope)


async def _apply_disbursed(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data = envelope.data
    await conn.execute(
        "UPDATE funding_requests SET disbursed_cents = disbursed_cents + $3, tranches = $4, version = $2,"
        " status = CASE WHEN disbursed_cents + $3 >= granted_cents THEN 'closed' ELSE status END"
        " WHERE request_id = $1 AND version < $2",
        UUID(data["request_id"]),
        envelope.stream_version,
        data["amount_cents"],
        data["tranche"],
    )


PROJECTIONS: list[Projection] = [
    Projection(
        "funding-projects",
        "CAMPUS_PROJECTS",
        ("campus.projects.>",),
        apply_project,
        tables=("funding_projects",),
    ),
    Projection(
        "funding-ledger",
        "CAMPUS_FUNDING",
        ("campus.funding.>",),
        apply_funding,
        tables=("funding_envelopes", "funding_ledger", "funding_requests"),
    ),
]
