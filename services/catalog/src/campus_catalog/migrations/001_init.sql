-- campus_catalog: the service's own tables (read models fed by its projections).
-- French full-text search: `campus_fr` = the french stemmer behind unaccent, so that « sécurité »,
-- « Securite » and « sécurités » meet on one lexeme. We connect as superuser (embedded PostgreSQL).
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'campus_fr') THEN
        CREATE TEXT SEARCH CONFIGURATION campus_fr (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION campus_fr
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS catalog_courses (
    course_id        uuid PRIMARY KEY,
    version          integer NOT NULL,
    status           text NOT NULL,
    title            text NOT NULL,
    kind             text NOT NULL,
    summary          text NOT NULL,
    modality         text NOT NULL,
    themes           text[] NOT NULL DEFAULT '{}',
    objectives       text[] NOT NULL DEFAULT '{}',
    -- objectives joined once by the projection: array_to_string is not immutable, a generated column needs it
    objectives_text  text NOT NULL DEFAULT '',
    duration         text,
    duration_minutes integer,
    pace             text NOT NULL DEFAULT 'self_paced',
    sub_themes       text[] NOT NULL DEFAULT '{}',
    audiences        text[] NOT NULL DEFAULT '{}',
    organizers       text[] NOT NULL DEFAULT '{}',
    registration_url text,
    language         text NOT NULL DEFAULT 'fr',
    proposed_by      uuid,
    proposed_at      timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    search           tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('campus_fr'::regconfig, title), 'A')
        || setweight(to_tsvector('campus_fr'::regconfig, summary), 'B')
        || setweight(to_tsvector('campus_fr'::regconfig, objectives_text), 'C')
    ) STORED
);
CREATE INDEX IF NOT EXISTS catalog_courses_search ON catalog_courses USING gin (search);
CREATE INDEX IF NOT EXISTS catalog_courses_themes ON catalog_courses USING gin (themes);
CREATE INDEX IF NOT EXISTS catalog_courses_status_title ON catalog_courses (status, title, course_id);

CREATE TABLE IF NOT EXISTS catalog_sessions (
    session_id  uuid PRIMARY KEY,
    course_id   uuid NOT NULL,
    version     integer NOT NULL,
    status      text NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    capacity    integer NOT NULL,
    location    text,
    join_url    text,
    trainer_ids uuid[] NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS catalog_sessions_course ON catalog_sessions (course_id, starts_at);

CREATE TABLE IF NOT EXISTS catalog_paths (
    path_id      uuid PRIMARY KEY,
    version      integer NOT NULL,
    status       text NOT NULL,
    title        text NOT NULL,
    summary      text NOT NULL DEFAULT '',
    course_ids   uuid[] NOT NULL,
    target_job   text,
    reconversion boolean NOT NULL DEFAULT false,
    themes       text[] NOT NULL DEFAULT '{}',
    defined_at   timestamptz NOT NULL
);

-- Who may propose a course or train a session: registered and not withdrawn (from CAMPUS_TRAINERS).
CREATE TABLE IF NOT EXISTS registered_trainers (
    trainer_id uuid PRIMARY KEY,
    version    integer NOT NULL,
    ministry   text,
    expertise  text[] NOT NULL DEFAULT '{}',
    withdrawn  boolean NOT NULL DEFAULT false
);
