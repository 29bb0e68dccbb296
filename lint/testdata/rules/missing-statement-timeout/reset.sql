SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN id TYPE bigint;
RESET statement_timeout;
CREATE INDEX users_email_idx ON users (email); -- want: missing-statement-timeout "CREATE INDEX scans users"
