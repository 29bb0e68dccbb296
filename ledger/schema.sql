-- The lockstep ledger, versions 1 and 2. Applied by Open inside one transaction,
-- under an advisory lock, only when lockstep.schema_version says it is
-- older. Every statement is idempotent.
CREATE SCHEMA IF NOT EXISTS lockstep;

CREATE TABLE IF NOT EXISTS lockstep.schema_version (
    version integer NOT NULL
);

-- Releases in the order they were first recorded (seq): "later" means a
-- greater seq.
CREATE TABLE IF NOT EXISTS lockstep.releases (
    name           text PRIMARY KEY,
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    commit_sha     text NOT NULL DEFAULT '',
    state          text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deployed_at    timestamptz,
    rolled_back_at timestamptz
);

-- Migrations lockstep knows of: which release introduced each, and which
-- release applied it.
CREATE TABLE IF NOT EXISTS lockstep.migrations (
    version       bigint PRIMARY KEY,
    name          text NOT NULL,
    phase         text NOT NULL,
    checksum      text NOT NULL,
    introduced_in text NOT NULL REFERENCES lockstep.releases (name),
    applied_in    text REFERENCES lockstep.releases (name),
    applied_at    timestamptz,
    duration_ms   bigint,
    actor         text NOT NULL DEFAULT ''
);

-- Progress of batched backfills: the last key done, updated in the same
-- transaction as each batch.
CREATE TABLE IF NOT EXISTS lockstep.backfills (
    version     bigint PRIMARY KEY REFERENCES lockstep.migrations (version),
    key_column  text NOT NULL,
    last_key    text,
    rows_done   bigint NOT NULL DEFAULT 0,
    batches     bigint NOT NULL DEFAULT 0,
    batch_size  integer NOT NULL,
    state       text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- Rollouts: at most one running per environment.
CREATE TABLE IF NOT EXISTS lockstep.rollouts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release     text NOT NULL,
    environment text NOT NULL,
    strategy    text NOT NULL,
    stable      text NOT NULL DEFAULT '',
    state       text NOT NULL,
    step        integer NOT NULL DEFAULT 0,
    weight      integer NOT NULL DEFAULT 0,
    details     jsonb NOT NULL DEFAULT '{}',
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS rollouts_one_running
    ON lockstep.rollouts (environment) WHERE state = 'running';

-- The append-only audit log: refusals, overrides, decisions, measurements.
CREATE TABLE IF NOT EXISTS lockstep.audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    release     text NOT NULL DEFAULT '',
    environment text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_release ON lockstep.audit (release, at);

CREATE OR REPLACE FUNCTION lockstep.audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lockstep.audit is append-only';
END
$$;
DROP TRIGGER IF EXISTS audit_append_only ON lockstep.audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON lockstep.audit
    FOR EACH ROW EXECUTE FUNCTION lockstep.audit_append_only();

-- Version 2: runs of migrations that cannot commit in one transaction (a
-- file holding CREATE INDEX CONCURRENTLY, or several transaction blocks):
-- how many of its units committed, so a run cut short resumes after them.
-- The row goes when the migration is marked applied.
CREATE TABLE IF NOT EXISTS lockstep.runs (
    version    bigint PRIMARY KEY REFERENCES lockstep.migrations (version),
    release    text NOT NULL REFERENCES lockstep.releases (name),
    units      integer NOT NULL,
    units_done integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
