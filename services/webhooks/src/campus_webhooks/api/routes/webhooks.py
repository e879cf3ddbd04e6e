"""Registrations: register, list, read, pause, resume, deactivate (no DELETE), rotate the secret."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from campus_service import ConflictError, ForbiddenError, Principal, UnprocessableError, parse_body
from campus_service.deps import CommandDep, PoolDep, PrincipalDep, RuntimeDep
from campus_service.routing import CampusRoute

from ... import registrations
from ...endpoints import check_url
from ...signature import generate_secret
from ..gates import managers_of_the_ministry, webhook_of_the_ministry
from ..models import MinistryCode, RotateSecretIn, Status, WebhookIn, WebhookOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["webhooks"])
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=64)]


def _body_schema(model: Any, *, required: bool = True) -> dict[str, Any]:
    return {
        "requestBody": {
            "content": {"application/json": {"schema": model.model_json_schema()}},
            "required": required,
        }
    }


def webhook_out(row: asyncpg.Record, secret: str | None = None) -> WebhookOut:
    return WebhookOut(
        id=row["webhook_id"],
        ministry=row["ministry"],
        url=row["url"],
        description=row["description"],
        event_types=list(row["event_types"]),
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        secret_rotated_at=row["secret_rotated_at"],
        secret=secret,
    )


def _field_error(field: str, reason: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": reason}])


async def _claimed_ministry(request: Request, principal: Principal) -> None:
    """A manager naming another ministry in the body gets 403 before the body is validated."""
    if principal.is_staff:
        return
    try:
        claimed = json.loads(await request.body())
    except ValueError:
        return
    named = claimed.get("ministry") if isinstance(claimed, dict) else None
    if isinstance(named, str) and named != principal.ministry:
        raise ForbiddenError("a manager registers webhooks for their own ministry only")


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookOut,
    response_model_exclude_none=True,
    dependencies=[managers_of_the_ministry()],
    openapi_extra=_body_schema(WebhookIn),
)
async def register_webhook(
    request: Request, ctx: CommandDep, pool: PoolDep, runtime: RuntimeDep
) -> JSONResponse:
    """Register an endpoint for a ministry's events (and the public ones). The `secret` is returned
    only if it was generated here; no GET ever shows it. Honours `Idempotency-Key`."""
    principal = ctx.principal
    await _claimed_ministry(request, principal)
    body = await parse_body(request, WebhookIn)
    ministry = body.ministry or principal.ministry
    if ministry is None:
        raise _field_error("ministry", "required: the token names no ministry")
    try:
        url = check_url(body.url, development=runtime.settings.development)
    except ValueError as exc:
        raise _field_error("url", str(exc)) from None
    generated = body.secret is None
    secret = body.secret or generate_secret()
    row, created = await registrations.create(
        pool,
        ministry=ministry,
        url=url,
        description=body.description,
        event_types=body.event_types,
        secret=secret,
        created_by=principal.sub,
        idempotency_key=ctx.idempotency_key,
        fingerprint=ctx.fingerprint,
    )
    headers = {"Location": f"/v1/webhooks/{row['webhook_id']}"}
    if not created:
        if row["idempotency_fingerprint"] != ctx.fingerprint:
            raise UnprocessableError("this Idempotency-Key was used for another request body")
        headers["Idempotent-Replayed"] = "true"
        generated = row["secret"] != body.secret  # the first answer showed the secret it generated
    out = webhook_out(row, secret=row["secret"] if generated else None)
    return JSONResponse(jsonable_encoder(out, exclude_none=True), status_code=201, headers=headers)


def _decode_cursor(cursor: str | None) -> UUID | None:
    if not cursor:
        return None
    try:
        return UUID(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise UnprocessableError("invalid cursor") from None


@router.get("/webhooks", dependencies=[managers_of_the_ministry()])
async def list_webhooks(
    principal: PrincipalDep,
    pool: PoolDep,
    ministry: MinistryCode | None = None,
    status: Status | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The staff sees every ministry's registrations (filter `ministry`); a manager their own."""
    if not principal.is_staff:
        if ministry is not None and ministry != principal.ministry:
            raise ForbiddenError("a manager lists the webhooks of their own ministry only")
        if principal.ministry is None:
            raise ForbiddenError("the token names no ministry")
        ministry = principal.ministry
    rows = await registrations.listing(
        pool, ministry=ministry, status=status, after=_decode_cursor(cursor), limit=limit + 1
    )
    items = [webhook_out(r).model_dump(mode="json", exclude_none=True) for r in rows[:limit]]
    more = len(rows) > limit
    last = str(rows[limit - 1]["webhook_id"]) if more else None
    return {"items": items, "next_cursor": base64.urlsafe_b64encode(last.encode()).decode() if last else None}


@router.get(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    response_model_exclude_none=True,
    dependencies=[webhook_of_the_ministry()],
)
async def get_webhook(webhook_id: UUID, request: Request) -> WebhookOut:
    return webhook_out(request.state.webhook)


async def _move(pool: asyncpg.Pool, webhook_id: UUID, status: str) -> WebhookOut:
    row = await registrations.set_status(pool, webhook_id, status)
    if row is None:
        raise ConflictError("this webhook is deactivated: register a new one")
    return webhook_out(row)


@router.post(
    "/webhooks/{webhook_id}/pause",
    response_model=WebhookOut,
    response_model_exclude_none=True,
    dependencies=[webhook_of_the_ministry()],
)
async def pause_webhook(webhook_id: UUID, pool: PoolDep) -> WebhookOut:
    """Stop delivering; events go on being queued and are delivered, in order, on resume."""
    return await _move(pool, webhook_id, "paused")


@router.post(
    "/webhooks/{webhook_id}/resume",
    response_model=WebhookOut,
    response_model_exclude_none=True,
    dependencies=[webhook_of_the_ministry()],
)
async def resume_webhook(webhook_id: UUID, pool: PoolDep) -> WebhookOut:
    row = await _move(pool, webhook_id, "active")
    await pool.execute("SELECT pg_notify('campus_webhooks', '')")
    return row


@router.post(
    "/webhooks/{webhook_id}/deactivate",
    response_model=WebhookOut,
    response_model_exclude_none=True,
    dependencies=[webhook_of_the_ministry()],
)
async def deactivate_webhook(webhook_id: UUID, pool: PoolDep, request: Request) -> WebhookOut:
    """For good (instead of a DELETE): nothing more is queued or sent; the delivery log stays."""
    if request.state.webhook["status"] == "deactivated":
        return webhook_out(request.state.webhook)
    return await _move(pool, webhook_id, "deactivated")


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookOut,
    response_model_exclude_none=True,
    dependencies=[webhook_of_the_ministry()],
    openapi_extra=_body_schema(RotateSecretIn, required=False),
)
async def rotate_secret(webhook_id: UUID, request: Request, pool: PoolDep, runtime: RuntimeDep) -> WebhookOut:
    """A new secret (given, or generated and returned once). Until the overlap ends (24 h by default)
    messages carry two `v1=` signatures, the new secret's first, so receivers can switch over."""
    body = await parse_body(request, RotateSecretIn) if await request.body() else RotateSecretIn()
    secret = body.secret or generate_secret()
    overlap = timedelta(seconds=runtime.settings.rotation_overlap_seconds)  # type: ignore[attr-defined]
    row = await registrations.rotate_secret(pool, webhook_id, secret, overlap)
    if row is None:
        raise ConflictError("this webhook is deactivated: register a new one")
    return webhook_out(row, secret=secret if body.secret is None else None)
