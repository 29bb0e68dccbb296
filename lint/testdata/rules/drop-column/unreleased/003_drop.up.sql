SET lock_timeout = '2s';
-- email_lower comes from 002, not released yet: no reader.
ALTER TABLE users DROP COLUMN email_lower;
-- never in the history: IF EXISTS makes it a no-op
ALTER TABLE users DROP COLUMN IF EXISTS nickname;
ALTER TABLE users DROP COLUMN email; -- want: drop-column "users.email"
