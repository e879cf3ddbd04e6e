-- Read models of the projects service, each fed by one projection (see projections.py).

-- A project's current state as shown by the API (``doc``), plus the columns lists filter on.
CREATE TABLE IF NOT EXISTS projects (
    project_id        uuid PRIMARY KEY,
    ministry          text NOT NULL,
    title             text NOT NULL,
    stage             text NOT NULL,
    stage_entered_at  timestamptz,
    version           integer NOT NULL,
    state             jsonb NOT NULL,  -- the domain state, to evolve with the next event
    doc               jsonb NOT NULL   -- what GET /v1/projects/{id} answers
);
CREATE INDEX IF NOT EXISTS projects_ministry_stage ON projects (ministry, stage, project_id);
CREATE INDEX IF NOT EXISTS projects_stage ON projects (stage, project_id);

-- Funding requests of projects, from the funding service's events (amounts in cents).
CREATE TABLE IF NOT EXISTS project_funding (
    request_id       uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    envelope_id      uuid,
    ministry         text,
    status           text NOT NULL,
    requested_cents  bigint NOT NULL DEFAULT 0,
    granted_cents    bigint NOT NULL DEFAULT 0,
    disbursed_cents  bigint NOT NULL DEFAULT 0,
    released_cents   bigint NOT NULL DEFAULT 0,
    requested_at     timestamptz,
    version          integer NOT NULL
);
CREATE INDEX IF NOT EXISTS project_funding_project ON project_funding (project_id, requested_at DESC);

-- Catalogue courses a design may reference (proposed or published), from the catalog's events.
CREATE TABLE IF NOT EXISTS known_courses (
    course_id  uuid PRIMARY KEY,
    status     text NOT NULL,
    version    integer NOT NULL
);

-- Registered trainers a design may name (withdrawn ones may not), from the trainers' events.
CREATE TABLE IF NOT EXISTS known_trainers (
    trainer_id  uuid PRIMARY KEY,
    active      boolean NOT NULL,
    version     integer NOT NULL
);
