SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid(); -- want: add-column-volatile-default "adding users.token with the volatile DEFAULT gen_random_uuid\(\) rewrites users under ACCESS EXCLUSIVE"
ALTER TABLE users ADD COLUMN jitter float8 NOT NULL DEFAULT random() * 10; -- want: add-column-volatile-default "random\(\)"
ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp(); -- want: add-column-volatile-default "clock_timestamp\(\)"
ALTER TABLE users ADD COLUMN a int, ADD COLUMN salt text DEFAULT md5(random()::text); -- want: add-column-volatile-default "users.salt"
ALTER TABLE users ADD COLUMN score int DEFAULT compute_score(); -- want: add-column-volatile-default "lockstep does not know whether compute_score\(\) is volatile"
-- Non-volatile defaults are stored once in the catalog (PostgreSQL 11 and later): instant.
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE users ADD COLUMN day date DEFAULT CURRENT_DATE;
ALTER TABLE users ADD COLUMN label text DEFAULT lower('X') || '-1';
ALTER TABLE users ADD COLUMN nothing text DEFAULT NULL;
ALTER TABLE users ADD COLUMN created_utc timestamp DEFAULT timezone('utc', now());
ALTER TABLE users ADD COLUMN prefs jsonb NOT NULL DEFAULT jsonb_build_object('theme', 'light');
ALTER TABLE users ADD COLUMN xid bigint DEFAULT txid_current();
ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();
-- serial, identity and generated columns are other rules' findings.
ALTER TABLE users ADD COLUMN n bigserial;
-- A table created by the same file has no rows to rewrite for anyone.
CREATE TABLE fresh (id bigint PRIMARY KEY);
ALTER TABLE fresh ADD COLUMN token uuid DEFAULT gen_random_uuid();
