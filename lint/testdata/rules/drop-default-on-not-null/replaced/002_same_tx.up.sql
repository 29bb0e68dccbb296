SET lock_timeout = '2s';
-- golang-migrate sends the file as one query string: one transaction. A new
-- default set later in it is in place before anyone else sees the change.
ALTER TABLE users ALTER COLUMN status DROP DEFAULT;
ALTER TABLE users ALTER COLUMN status SET DEFAULT 'pending';
-- the same in one statement
ALTER TABLE users ALTER COLUMN kind DROP DEFAULT, ALTER COLUMN kind SET DEFAULT 'org';
-- inside a DO block, and the new default after it
DO $$
BEGIN
  ALTER TABLE users ALTER COLUMN region DROP DEFAULT;
END
$$;
ALTER TABLE users ALTER COLUMN region SET DEFAULT 'us';
-- a new default for another column does not help
ALTER TABLE users ALTER COLUMN tier DROP DEFAULT; -- want: drop-default-on-not-null "users.tier, which is NOT NULL, fails every insert"
ALTER TABLE users ALTER COLUMN locale SET DEFAULT 'de';
