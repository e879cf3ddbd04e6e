-- The outbox row carries the message as it goes to JetStream (subject, CloudEvents JSON, the
-- headers' values), written by the append: the relay publishes without reading the events table
-- or serialising anything. Rows queued before this migration have no payload; the relay builds
-- theirs from the events table as before.
ALTER TABLE outbox
    ADD COLUMN IF NOT EXISTS subject text,
    ADD COLUMN IF NOT EXISTS payload bytea,
    ADD COLUMN IF NOT EXISTS event_id uuid,
    ADD COLUMN IF NOT EXISTS correlation_id uuid,
    ADD COLUMN IF NOT EXISTS traceparent text,
    ADD COLUMN IF NOT EXISTS occurred_at timestamptz;
