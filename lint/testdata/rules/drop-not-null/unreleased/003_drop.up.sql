SET lock_timeout = '2s';
-- handle comes from 002, not released: nobody reads it yet.
ALTER TABLE users ALTER COLUMN handle DROP NOT NULL;
ALTER TABLE users ALTER COLUMN email DROP NOT NULL; -- want: drop-not-null "users.email"
