"""Commands: who issues them, with which correlation, and the ``Idempotency-Key`` they honour.

A command route gets a ``CommandContext`` (``CommandDep``) and hands ``run_command`` a handler
that loads state, decides and returns an ``Outcome`` (events + expected versions + the response)::

    @router.post("/v1/envelopes", status_code=201, dependencies=[require_roles("funding_committee")])
    async def open_envelope(body: EnvelopeIn, ctx: CommandDep, store: StoreDep) -> Response:
        return await run_command(ctx, store, lambda: handlers.open_envelope(store, ctx, body))

The key is scoped ``<sub>:<method>:<path>:<key>`` and written by the same transaction as the
events, with the response; a repeated key returns that first response and appends nothing, even
when both requests race (the store's append decides).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel

from campus_events.envelope import Actor, Envelope, envelope_for
from campus_events.registry import CampusEvent
from campus_events.store.base import ConcurrencyError, EventStore, Expected

from .auth import Principal, current_principal
from .correlation import context_of
from .errors import DomainError, UnprocessableError

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class CommandContext:
    """Everything a handler needs besides the command: actor, correlation, idempotency key."""

    principal: Principal
    correlation_id: UUID
    traceparent: str | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None
    # The body's digest as keys stored before the canonical fingerprint hold it (its bytes):
    # a key stored then still replays (a seeder's, a client's retry across the upgrade).
    bytes_fingerprint: str | None = None
    role: str | None = None

    @property
    def actor(self) -> Actor:
        return self.principal.actor(self.role)

    def as_role(self, role: str) -> CommandContext:
        """The same context, recording ``role`` as the actor's role in events."""
        return replace(self, role=role)

    def envelope(
        self,
        event: CampusEvent,
        aggregate_id: UUID | str,
        *,
        ministry: str | None = None,
        causation_id: UUID | None = None,
    ) -> Envelope:
        """``envelope_for`` with this command's actor, correlation id and traceparent."""
        return envelope_for(
            event,
            aggregate_id,
            ministry=ministry,
            actor=self.actor,
            correlation_id=self.correlation_id,
            causation_id=causation_id,
            traceparent=self.traceparent,
        )


async def command_context(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> CommandContext:
    """Dependency (``CommandDep``): authenticates, then reads the ``Idempotency-Key`` of a POST."""
    context = context_of(request)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    scoped = fingerprint = bytes_fingerprint = None
    if key is not None and request.method == "POST":
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            raise UnprocessableError(
                f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
            )
        scoped = f"{principal.sub}:{request.method}:{request.url.path}:{key}"
        raw = await request.body()
        fingerprint, bytes_fingerprint = _fingerprint(raw), hashlib.sha256(raw).hexdigest()
    return CommandContext(
        principal=principal,
        correlation_id=context.correlation_id,
        traceparent=context.traceparent,
        idempotency_key=scoped,
        fingerprint=fingerprint,
        bytes_fingerprint=bytes_fingerprint,
    )


def _fingerprint(raw: bytes) -> str:
    """The request body's digest: of its JSON in a canonical form (sorted keys, no spacing), so
    that a client's retry that serialises the same body otherwise is the same request; of the
    bytes when it is not JSON."""
    try:
        canonical = json.dumps(
            json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What a handler decided: the events to append, the versions they expect, the response."""

    events: Sequence[Envelope]
    expected: Expected
    body: Any = None
    status: int = 200
    location: str | None = None


@dataclass(frozen=True)
class CommandResult:
    """The response of a command, as first given (and stored with the idempotency key).

    ``content`` is the JSON body serialised once, so that a replay returns the very same bytes
    (a jsonb column would reorder the keys).
    """

    status: int
    content: str
    location: str | None = None
    fingerprint: str | None = None
    replayed: bool = False

    @classmethod
    def of(
        cls, status: int, body: Any, *, location: str | None = None, fingerprint: str | None = None
    ) -> CommandResult:
        # A model is serialised by pydantic-core at once (by alias, compact, UTF-8): the JSON that
        # jsonable_encoder + json.dumps give, at a fifth of the cost. Floats may be spelt otherwise
        # (1e-07 → 1e-7), and a non-finite one is written null (pydantic's rule) where json.dumps
        # refused it; the answers' floats are validated, bounded rates and averages.
        if isinstance(body, BaseModel):
            content = body.model_dump_json(by_alias=True)
        else:
            plain = jsonable_encoder(body)
            content = json.dumps(plain, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return cls(status=status, content=content, location=location, fingerprint=fingerprint)

    @property
    def body(self) -> Any:
        return json.loads(self.content)

    def stored(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "content": self.content,
            "location": self.location,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> CommandResult:
        return cls(
            status=int(stored["status"]),
            content=stored.get("content") or "null",
            location=stored.get("location"),
            fingerprint=stored.get("fingerprint"),
            replayed=True,
        )

    def response(self) -> Response:
        headers = {"Location": self.location} if self.location else {}
        if self.replayed:
            headers[REPLAYED_HEADER] = "true"
        return Response(self.content, status_code=self.status, headers=headers, media_type="application/json")


async def append_outcome(store: EventStore, ctx: CommandContext, outcome: Outcome) -> CommandResult:
    """Append the outcome's events with the context's idempotency key; the response to give."""
    result = CommandResult.of(
        outcome.status, outcome.body, location=outcome.location, fingerprint=ctx.fingerprint
    )
    if not outcome.events and ctx.idempotency_key is None:
        return result
    appended = await store.append(
        outcome.events,
        outcome.expected,
        idempotency_key=ctx.idempotency_key,
        result=result.stored() if ctx.idempotency_key else None,
    )
    if appended.replayed:
        return _replay(ctx, appended.result)
    return result


Handler = Callable[[], Awaitable["Outcome | CommandResult"]]


async def run_command(
    ctx: CommandContext, store: EventStore, handler: Handler, *, retries: int = 3
) -> Response:
    """Run a command once per idempotency key; on a concurrent change, run it again (``retries`` times)."""
    if (replayed := await _stored_result(store, ctx)) is not None:
        return replayed.response()
    attempt = 0
    while True:
        try:
            produced = await handler()
            result = (
                produced
                if isinstance(produced, CommandResult)
                else await append_outcome(store, ctx, produced)
            )
            return result.response()
        except (ConcurrencyError, DomainError) as exc:
            # The same key may have won meanwhile: then this request's answer is the first one's.
            if (replayed := await _stored_result(store, ctx)) is not None:
                return replayed.response()
            attempt += 1
            if isinstance(exc, DomainError) or attempt > retries:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))


async def _stored_result(store: EventStore, ctx: CommandContext) -> CommandResult | None:
    if ctx.idempotency_key is None:
        return None
    found, stored = await store.idempotent_result(ctx.idempotency_key)
    return _replay(ctx, stored) if found else None


def _replay(ctx: CommandContext, stored: Any) -> CommandResult:
    result = CommandResult.from_stored(stored or {"status": 200})
    same = (ctx.fingerprint, ctx.bytes_fingerprint)
    if result.fingerprint and ctx.fingerprint and result.fingerprint not in same:
        raise UnprocessableError(f"this {IDEMPOTENCY_HEADER} was already used with a different request")
    return result
