BEGIN;
SET LOCAL lock_timeout = '2s';
SELECT set_config('statement_timeout', '10min', true);
ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0);
COMMIT;
-- The SET LOCAL ended with its transaction.
ALTER TABLE users ALTER COLUMN id TYPE bigint; -- want: missing-statement-timeout "rewrites users"
