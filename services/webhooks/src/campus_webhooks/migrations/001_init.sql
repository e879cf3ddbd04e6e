-- campus_webhooks: registrations, the events to deliver, and the delivery log.
-- The event store's tables come from campus_events' migrations, applied first (unused here:
-- registrations are this service's own state, not events, so no URL or secret travels on NATS).

CREATE TABLE webhooks (
    webhook_id uuid PRIMARY KEY,              -- UUIDv7: time-ordered, the list's order
    ministry text NOT NULL,
    url text NOT NULL,
    description text NOT NULL DEFAULT '',
    event_types text[] NOT NULL DEFAULT '{}', -- empty: every type of the scope
    secret text NOT NULL,                     -- needed in clear to sign; never returned by a GET
    previous_secret text,                     -- still signs (a second v1=) until previous_secret_until
    previous_secret_until timestamptz,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'deactivated')),
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    secret_rotated_at timestamptz,
    idempotency_key text UNIQUE,              -- <sub>:<method>:<path>:<key> of the creating request
    idempotency_fingerprint text              -- the SHA-256 of that request's body
);
CREATE INDEX webhooks_scope ON webhooks (ministry) WHERE status <> 'deactivated';

-- One row per event that at least one registration wanted: the CloudEvent exactly as on NATS.
CREATE TABLE webhook_events (
    event_id uuid PRIMARY KEY,
    type text NOT NULL,
    ministry text NOT NULL,
    body bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- The delivery log: one row per (registration, event). `seq` is the arrival order, the order in
-- which an endpoint receives its events (a stream's events arrive in stream order).
CREATE TABLE webhook_deliveries (
    webhook_id uuid NOT NULL REFERENCES webhooks,
    event_id uuid NOT NULL REFERENCES webhook_events,
    seq bigserial NOT NULL UNIQUE,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    attempts_before_retry integer NOT NULL DEFAULT 0, -- attempts made before the last manual retry
    last_status integer,
    last_error text,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    scheduled_at timestamptz NOT NULL DEFAULT now(),  -- when it was queued (or re-queued by hand)
    delivered_at timestamptz,
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, seq DESC);
