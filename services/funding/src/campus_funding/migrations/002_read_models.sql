-- Read models of the funding service, fed by its projections (JetStream consumers).
-- Each aggregate row keeps the stream version it last applied, so a replay is a no-op.

CREATE TABLE IF NOT EXISTS funding_projects (
    project_id uuid PRIMARY KEY,
    ministry text NOT NULL,
    stage text NOT NULL,
    version integer NOT NULL
);

CREATE TABLE IF NOT EXISTS funding_envelopes (
    seq bigserial UNIQUE,
    envelope_id uuid PRIMARY KEY,
    name text NOT NULL,
    year integer NOT NULL,
    amount_cents bigint NOT NULL,
    min_project_cents bigint NOT NULL,
    max_project_cents bigint NOT NULL,
    max_rate double precision NOT NULL,
    reserved_cents bigint NOT NULL DEFAULT 0,
    disbursed_cents bigint NOT NULL DEFAULT 0,
    opened_at timestamptz NOT NULL
);

-- One row per movement of money; the event id makes each movement count once.
CREATE TABLE IF NOT EXISTS funding_ledger (
    seq bigserial UNIQUE,
    event_id uuid PRIMARY KEY,
    envelope_id uuid NOT NULL,
    request_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('reserved', 'released', 'disbursed')),
    amount_cents bigint NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS funding_ledger_envelope ON funding_ledger (envelope_id, seq);

CREATE TABLE IF NOT EXISTS funding_requests (
    seq bigserial UNIQUE,
    request_id uuid PRIMARY KEY,
    project_id uuid NOT NULL,
    envelope_id uuid NOT NULL,
    ministry text NOT NULL,
    status text NOT NULL,
    project_cost_cents bigint NOT NULL,
    requested_cents bigint NOT NULL,
    granted_cents bigint NOT NULL DEFAULT 0,
    disbursed_cents bigint NOT NULL DEFAULT 0,
    released_cents bigint NOT NULL DEFAULT 0,
    tranches integer NOT NULL DEFAULT 0,
    agents_targeted jsonb NOT NULL,
    expected_satisfaction_rate double precision NOT NULL,
    expected_savings_cents bigint NOT NULL,
    criteria jsonb NOT NULL,
    summary text NOT NULL,
    requested_by uuid NOT NULL,
    requested_at timestamptz NOT NULL,
    decision jsonb,
    version integer NOT NULL
);
CREATE INDEX IF NOT EXISTS funding_requests_filters ON funding_requests (envelope_id, status, seq);
CREATE INDEX IF NOT EXISTS funding_requests_ministry ON funding_requests (ministry, seq);
