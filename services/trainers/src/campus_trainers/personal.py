"""The erasable personal details of trainers (``trainer_profiles_private``): bio, availability
and the name and e-mail from the token. Never copied into an event, a log line or another table."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class PersonalDetails:
    bio: str = ""
    availability: str = ""
    given_name: str | None = None
    usual_name: str | None = None
    email: str | None = None


async def save(
    pool: asyncpg.Pool,
    trainer_id: UUID,
    *,
    bio: str | None = None,
    availability: str | None = None,
    given_name: str | None = None,
    usual_name: str | None = None,
    email: str | None = None,
) -> None:
    """Upsert; ``None`` keeps what is there."""
    await pool.execute(
        "INSERT INTO trainer_profiles_private (trainer_id, bio, availability, given_name, usual_name, email)"
        " VALUES ($1, COALESCE($2, ''), COALESCE($3, ''), $4, $5, $6)"
        " ON CONFLICT (trainer_id) DO UPDATE SET"
        " bio = COALESCE($2, trainer_profiles_private.bio),"
        " availability = COALESCE($3, trainer_profiles_private.availability),"
        " given_name = COALESCE($4, trainer_profiles_private.given_name),"
        " usual_name = COALESCE($5, trainer_profiles_private.usual_name),"
        " email = COALESCE($6, trainer_profiles_private.email), updated_at = now()",
        trainer_id,
        bio,
        availability,
        given_name,
        usual_name,
        email,
    )


async def load(pool: asyncpg.Pool, trainer_id: UUID) -> PersonalDetails:
    row = await pool.fetchrow(
        "SELECT bio, availability, given_name, usual_name, email FROM trainer_profiles_private"
        " WHERE trainer_id = $1",
        trainer_id,
    )
    return PersonalDetails() if row is None else PersonalDetails(**dict(row))


async def erase(pool: asyncpg.Pool, agent_id: UUID) -> bool:
    """Delete everything personal about ``agent_id``; whether there was anything."""
    status: str = await pool.execute("DELETE FROM trainer_profiles_private WHERE trainer_id = $1", agent_id)
    return status != "DELETE 0"
