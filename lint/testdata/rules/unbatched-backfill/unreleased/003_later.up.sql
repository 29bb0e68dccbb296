SET lock_timeout = '2s';
-- tables of an unreleased file: still no readers
UPDATE invites SET email = lower(email);
DELETE FROM users_snapshot;
-- a column of an unreleased file on an existing table: still every row of it
UPDATE users SET email_lower = lower(email) WHERE email_lower IS NULL; -- want: unbatched-backfill "users.email_lower was added by .*002_new.up.sql:11"
