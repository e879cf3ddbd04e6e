"""What to deliver: one consumer per context stream queues each event for the registrations that
want it (its scope is ``public`` or their ministry, and its type is among theirs, if they chose).

The consumer writes its checkpoint in the same transaction as the queued deliveries, and a
delivery is keyed ``(webhook_id, event_id)``: a redelivered message queues nothing twice. A
registration receives the events consumed after it was created (no backfill) while it is active
or paused; a deactivated one receives nothing more.
"""

from __future__ import annotations

import asyncpg

from campus_events.consumer import Projection
from campus_events.envelope import Envelope
from campus_events.registry import CONTEXTS, PUBLIC, stream_for_context

CHANNEL = "campus_webhooks"

# One round trip per event. The delivery rows' foreign key to webhook_events is checked at the
# end of the statement, after the CTE inserted the event.
QUEUE = f"""
WITH targets AS (
    SELECT webhook_id FROM webhooks
    WHERE status <> 'deactivated' AND ($1 = '{PUBLIC}' OR ministry = $1)
      AND (cardinality(event_types) = 0 OR $2 = ANY(event_types))
), stored AS (
    INSERT INTO webhook_events (event_id, type, ministry, body)
    SELECT $3, $2, $1, $4 WHERE EXISTS (SELECT 1 FROM targets)
    ON CONFLICT (event_id) DO NOTHING
), queued AS (
    INSERT INTO webhook_deliveries (webhook_id, event_id)
    SELECT webhook_id, $3 FROM targets ORDER BY webhook_id
    ON CONFLICT DO NOTHING RETURNING 1
)
SELECT count(*) FROM queued
"""


async def queue_deliveries(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """Queue ``envelope`` (as the CloudEvent published on NATS) for every registration that wants it."""
    queued = await conn.fetchval(QUEUE, envelope.ministry, envelope.type, envelope.id, envelope.to_json())
    if queued:
        # Wakes the dispatcher when the transaction commits (one notification per transaction).
        await conn.execute(f"NOTIFY {CHANNEL}")


PROJECTIONS: list[Projection] = [
    Projection(f"webhooks-{context}", stream_for_context(context), (f"campus.{context}.>",), queue_deliveries)
    for context in CONTEXTS
]
