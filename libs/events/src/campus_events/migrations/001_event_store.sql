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

-- Append events to one or several streams atomically, in one round trip.
-- p_expected[i]: NULL = any version, 0 = the stream must not exist, N = it must be at N.
-- A stale stream raises SQLSTATE CA409 and nothing is written. With an idempotency key
-- already used, nothing is written and the first call's result is returned.
CREATE OR REPLACE FUNCTION campus_append(
    p_streams text[], p_expected integer[], p_events jsonb, p_key text, p_result jsonb
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    s text;
    n integer;
    base integer;
    bases jsonb := '{}'::jsonb;
    prior jsonb;
    appended jsonb;
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (key, result) VALUES (p_key, p_result) ON CONFLICT (key) DO NOTHING;
        IF NOT FOUND THEN
            SELECT result INTO prior FROM idempotency_keys WHERE key = p_key;
            RETURN jsonb_build_object('replayed', true, 'result', prior);
        END IF;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
        s := p_streams[i];
        SELECT count(*) INTO n FROM jsonb_array_elements(p_events) e WHERE e->>'stream' = s;
        IF p_expected[i] IS NULL THEN
            INSERT INTO event_streams AS es (stream, version) VALUES (s, n)
            ON CONFLICT (stream) DO UPDATE SET version = es.version + n
            RETURNING es.version - n INTO base;
        ELSIF p_expected[i] = 0 THEN
            INSERT INTO event_streams (stream, version) VALUES (s, n) ON CONFLICT (stream) DO NOTHING;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'stream % already exists', s USING ERRCODE = 'CA409', DETAIL = s;
            END IF;
            base := 0;
        ELSE
            UPDATE event_streams SET version = version + n WHERE stream = s AND version = p_expected[i];
            IF NOT FOUND THEN
                RAISE EXCEPTION 'stream % is not at version %', s, p_expected[i]
                    USING ERRCODE = 'CA409', DETAIL = s;
            END IF;
            base := p_expected[i];
        END IF;
        bases := bases || jsonb_build_object(s, base);
    END LOOP;
    WITH input AS (
        SELECT e, ord, (bases->>(e->>'stream'))::integer
                 + row_number() OVER (PARTITION BY e->>'stream' ORDER BY ord) AS version
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(e, ord)
    ), inserted AS (
        INSERT INTO events (event_id, stream, version, type, schema_version, context, aggregate, ministry,
                            occurred_at, correlation_id, causation_id, actor_id, actor_role, traceparent, data)
        SELECT (e->>'id')::uuid, e->>'stream', version, e->>'type', (e->>'schema_version')::integer,
               e->>'context', e->>'aggregate', e->>'ministry', (e->>'occurred_at')::timestamptz,
               (e->>'correlation_id')::uuid, (e->>'causation_id')::uuid, (e->'actor'->>'id')::uuid,
               e->'actor'->>'role', e->>'traceparent', e->'data'
        FROM input ORDER BY ord
        RETURNING position, event_id, stream, version
    ), queued AS (
        INSERT INTO outbox (position) SELECT position FROM inserted
    )
    SELECT jsonb_agg(jsonb_build_array(event_id, version, position) ORDER BY position) INTO appended FROM inserted;
    PERFORM pg_notify('campus_outbox', '');
    RETURN jsonb_build_object('replayed', false, 'appended', appended);
END;
$$;
