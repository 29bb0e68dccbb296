SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN status DROP DEFAULT; -- want: drop-default-on-not-null "dropping the default of users.status, which is NOT NULL, fails every insert of the old release"
ALTER TABLE users ALTER COLUMN kind SET DEFAULT NULL; -- want: drop-default-on-not-null "users.kind"
-- nullable: an insert without it stores NULL
ALTER TABLE users ALTER COLUMN note DROP DEFAULT;
-- no default to drop
ALTER TABLE users ALTER COLUMN score DROP DEFAULT;
-- a new default is fine
ALTER TABLE users ALTER COLUMN score SET DEFAULT 0;
-- the pattern ORMs generate for a new required column
ALTER TABLE users ADD COLUMN plan text DEFAULT 'free' NOT NULL;
ALTER TABLE users ALTER COLUMN plan DROP DEFAULT; -- want: drop-default-on-not-null "users.plan, which is NOT NULL and was added at line 11"
