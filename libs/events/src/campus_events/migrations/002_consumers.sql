-- Projection consumers: a checkpoint per consumer (the last JetStream stream sequence applied,
-- written in the same transaction as the projection), and the dead letters.
CREATE TABLE IF NOT EXISTS consumer_checkpoints (
    consumer    text PRIMARY KEY,
    stream_seq  bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dead_letters (
    id          bigserial PRIMARY KEY,
    consumer    text NOT NULL,
    stream      text NOT NULL,
    stream_seq  bigint NOT NULL,
    subject     text NOT NULL,
    headers     jsonb,
    payload     bytea NOT NULL,
    error       text NOT NULL,
    attempts    integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer, stream_seq)
);
