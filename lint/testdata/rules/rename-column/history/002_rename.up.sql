-- test: new=002
SET lock_timeout = '2s';
-- nick is added by this release: renaming it is safe.
ALTER TABLE users ADD COLUMN nick text;
ALTER TABLE users RENAME COLUMN nick TO nickname;
ALTER TABLE users RENAME COLUMN email TO email_address; -- want: rename-column "users.email"
