-- Campus event store: events, stream versions, outbox, idempotency keys.
CREATE TABLE IF NOT EXISTS event_streams (
    stream   text PRIMARY KEY,
    version  integer NOT NULL CHECK (version >= 0)
);

CREATE TABLE IF NOT EXISTS events (
    position        bigserial PRIMARY KEY,
    event_id        uuid NOT NULL UNIQUE,
    stream          text NOT NULL,
    version         integer NOT NULL,
    type            text NOT NULL,
    schema_version  integer NOT NULL,
    context         text NOT NULL,
    aggregate       text NOT NULL,
    ministry        text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    correlation_id  uuid,
    causation_id    uuid,
    actor_id        uuid,
    actor_role      text NOT NULL,
    traceparent     text,
    data            jsonb NOT NULL,
    UNIQUE (stream, version)
);

-- Events not yet acknowledged by JetStream. The relay reads this table, never "position > N":
-- a transaction may commit a lower position after a higher one is already visible.
CREATE TABLE IF NOT EXISTS outbox (
    position  bigint PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    key         text PRIMARY KEY,
    result      jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Raised by the append statement (store/postgres.py) when a stream is not at its expected
-- version: the error aborts the whole statement, so nothing of the append is written.
CREATE OR REPLACE FUNCTION campus_conflict(p_streams text[]) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a stream is not at its expected version' USING ERRCODE = 'CA409', DETAIL = p_streams::text;
END;
$$;
