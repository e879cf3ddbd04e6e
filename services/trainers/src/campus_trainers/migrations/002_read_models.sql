-- Read models of the trainers service, fed by its projections (see projections.py).

-- The directory: pseudonymous profiles only (no name, no free text).
CREATE TABLE IF NOT EXISTS trainer_directory (
    trainer_id uuid PRIMARY KEY,
    ministry text NOT NULL,
    kind text NOT NULL,
    expertise text[] NOT NULL DEFAULT '{}',
    withdrawn boolean NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS trainer_directory_expertise ON trainer_directory USING gin (expertise);

CREATE TABLE IF NOT EXISTS training_ideas (
    idea_id uuid PRIMARY KEY,
    title text NOT NULL,
    description text NOT NULL,
    themes text[] NOT NULL DEFAULT '{}',
    shared_by uuid NOT NULL,
    shared_at timestamptz NOT NULL,
    support_count integer NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS training_idea_supporters (
    idea_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    PRIMARY KEY (idea_id, agent_id)
);

CREATE TABLE IF NOT EXISTS support_requests (
    support_request_id uuid PRIMARY KEY,
    trainer_id uuid NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    course_id uuid,
    themes text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'open',
    resolution text,
    requested_at timestamptz NOT NULL,
    resolved_at timestamptz
);
CREATE INDEX IF NOT EXISTS support_requests_trainer ON support_requests (trainer_id);

CREATE TABLE IF NOT EXISTS training_activities (
    activity_id uuid PRIMARY KEY,
    trainer_id uuid NOT NULL,
    ministry text NOT NULL,
    kind text NOT NULL,
    minutes integer NOT NULL,
    day date NOT NULL,
    course_id uuid,
    session_id uuid,
    logged_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS training_activities_trainer_day ON training_activities (trainer_id, day);
CREATE INDEX IF NOT EXISTS training_activities_day ON training_activities (day);

-- From the catalog and enrollment streams: what each trainer proposed, published and delivered.
CREATE TABLE IF NOT EXISTS catalog_courses (
    course_id uuid PRIMARY KEY,
    proposed_by uuid,
    status text NOT NULL DEFAULT 'proposed',
    proposed_at timestamptz,
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS catalog_courses_proposer ON catalog_courses (proposed_by);

CREATE TABLE IF NOT EXISTS catalog_sessions (
    session_id uuid PRIMARY KEY,
    course_id uuid NOT NULL,
    trainer_ids uuid[] NOT NULL DEFAULT '{}',
    starts_at timestamptz,
    ends_at timestamptz,
    cancelled boolean NOT NULL DEFAULT false,
    completed boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS catalog_sessions_trainers ON catalog_sessions USING gin (trainer_ids);
