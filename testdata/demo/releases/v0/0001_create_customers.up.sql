-- lockstep:phase expand
-- Release v0, already in production: the table the story starts from.
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    fullname text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
