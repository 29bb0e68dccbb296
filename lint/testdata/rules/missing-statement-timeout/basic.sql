SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users ALTER COLUMN id TYPE bigint; -- want: missing-statement-timeout "ALTER TABLE rewrites users while holding ACCESS EXCLUSIVE on users, and no statement_timeout is set"
-- Once per file: one SET covers the rest of it.
ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0);
