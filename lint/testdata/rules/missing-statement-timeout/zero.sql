SET lock_timeout = '2s';
SET statement_timeout = 0;
ALTER TABLE users ALTER COLUMN name SET NOT NULL; -- want: missing-statement-timeout "ALTER TABLE scans users"
