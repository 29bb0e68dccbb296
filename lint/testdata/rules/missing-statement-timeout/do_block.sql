SET lock_timeout = '2s';
DO $$
BEGIN
  ALTER TABLE users ALTER COLUMN id TYPE bigint; -- want: missing-statement-timeout "ALTER TABLE rewrites users"
END $$;
