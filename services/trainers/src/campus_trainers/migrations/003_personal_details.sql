-- Personal details: the only place that holds what identifies a person or what they wrote about
-- themself. Written by the command routes (never from events), deleted by POST /v1/agents/{id}/erase.
CREATE TABLE IF NOT EXISTS trainer_profiles_private (
    trainer_id uuid PRIMARY KEY,
    bio text NOT NULL DEFAULT '',
    availability text NOT NULL DEFAULT '',
    given_name text,
    usual_name text,
    email text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
