"""Request and response bodies (``…In`` / ``…Out``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from campus_events.registry import registry

from ..signature import MIN_SECRET_LENGTH

MinistryCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,31}$")]
Secret = Annotated[
    str,
    StringConstraints(min_length=MIN_SECRET_LENGTH, max_length=256, pattern=r"^[\x21-\x7e]+$"),
    Field(description=f"At least {MIN_SECRET_LENGTH} printable ASCII characters, no spaces."),
]
Status = Literal["active", "paused", "deactivated"]
DeliveryState = Literal["pending", "delivered", "failed"]
EVENT_TYPES = frozenset(m.type_name() for m in registry)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ministry: MinistryCode | None = Field(
        default=None, description="The ministry whose events are delivered; by default the caller's."
    )
    url: str = Field(
        max_length=2048,
        description="HTTPS endpoint (http://127.0.0.1 or localhost are accepted in development only).",
    )
    secret: Secret | None = Field(
        default=None, description="The signing secret; omitted, one is generated and returned once."
    )
    description: str = Field(default="", max_length=500)
    event_types: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Campus event types (e.g. `CourseCompleted`) to deliver; empty: every type of the scope.",
    )

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(unknown)}")
        return sorted(set(value))


class RotateSecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: Secret | None = Field(default=None, description="The new secret; omitted, one is generated.")


class WebhookOut(BaseModel):
    id: UUID
    ministry: str
    url: str
    description: str
    event_types: list[str]
    status: Status
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None = None
    secret: str | None = Field(
        default=None, description="Only in the answer that generated it: store it, it is never shown again."
    )


class DeliveryOut(BaseModel):
    event_id: UUID
    type: str
    state: DeliveryState
    attempts: int
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When it is tried next (pending deliveries only).")
    queued_at: datetime
    delivered_at: datetime | None
