-- The catalogue as enrollment sees it (fed from CAMPUS_CATALOG and CAMPUS_TRAINERS).
CREATE TABLE IF NOT EXISTS catalog_courses (
    course_id uuid PRIMARY KEY,
    title text NOT NULL,
    pace text NOT NULL DEFAULT 'self_paced',
    status text NOT NULL DEFAULT 'proposed',
    themes text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS catalog_sessions (
    session_id uuid PRIMARY KEY,
    course_id uuid NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    capacity integer NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    trainer_ids uuid[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS catalog_paths (
    path_id uuid PRIMARY KEY,
    course_ids uuid[] NOT NULL,
    published boolean NOT NULL DEFAULT false
);

CREATE TABLE IF NOT EXISTS known_trainers (
    trainer_id uuid PRIMARY KEY,
    active boolean NOT NULL DEFAULT true
);

-- The only place a person's name and e-mail live: erasable, never copied into events.
CREATE TABLE IF NOT EXISTS agent_profiles (
    agent_id uuid PRIMARY KEY,
    ministry text,
    email text,
    given_name text,
    usual_name text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per enrolment, from CAMPUS_ENROLLMENT; ``version`` is the stream version last applied.
CREATE TABLE IF NOT EXISTS enrollments (
    enrollment_id uuid PRIMARY KEY,
    stream text NOT NULL,
    agent_id uuid NOT NULL,
    ministry text NOT NULL,
    course_id uuid NOT NULL,
    session_id uuid,
    status text NOT NULL,
    enrolled_by uuid,
    waitlist_seq integer,
    enrolled_at timestamptz NOT NULL,
    cancelled_reason text,
    completed_at timestamptz,
    completed_by uuid,
    attestation_id uuid,
    score integer,
    comment text,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS enrollments_agent ON enrollments (agent_id, enrolled_at);
CREATE INDEX IF NOT EXISTS enrollments_session ON enrollments (session_id, status, waitlist_seq);
CREATE INDEX IF NOT EXISTS enrollments_course ON enrollments (course_id);

-- Finds an enrolment's stream in the event store itself, so a command right after the
-- enrolment never waits for the projection.
CREATE INDEX IF NOT EXISTS events_enrollment_id ON events ((data->>'enrollment_id')) WHERE context = 'enrollment';
