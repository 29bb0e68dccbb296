SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN email DROP NOT NULL; -- want: drop-not-null "dropping NOT NULL on users.email lets NULLs in"
-- already nullable
ALTER TABLE users ALTER COLUMN nick DROP NOT NULL;
ALTER TABLE users ALTER COLUMN id DROP NOT NULL; -- want: drop-not-null "fails: it is part of the primary key users_pkey"
