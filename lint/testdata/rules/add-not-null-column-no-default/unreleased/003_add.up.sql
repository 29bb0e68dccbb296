SET lock_timeout = '2s';
-- invites comes from 002, not released: empty, and no old release writes it.
ALTER TABLE invites ADD COLUMN code text NOT NULL;
ALTER TABLE users ADD COLUMN code text NOT NULL; -- want: add-not-null-column-no-default "users.code"
