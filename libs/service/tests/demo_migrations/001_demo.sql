-- The demo service's read model (tests only).
CREATE TABLE IF NOT EXISTS demo_projects (
    project_id  uuid PRIMARY KEY,
    ministry    text NOT NULL,
    title       text NOT NULL
);
