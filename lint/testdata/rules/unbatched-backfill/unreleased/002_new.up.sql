-- test: new=002,003
SET lock_timeout = '2s';
-- Tables this file creates are empty and have no readers, however they are made.
CREATE TABLE invites (id bigint PRIMARY KEY, email text);
UPDATE invites SET email = lower(email);
CREATE TABLE users_copy AS SELECT * FROM users;
UPDATE users_copy SET email = lower(email);
SELECT * INTO users_snapshot FROM users;
DELETE FROM users_snapshot WHERE email IS NULL;
-- A column this file adds to an existing table: the table still has all its rows.
ALTER TABLE users ADD COLUMN email_lower text;
UPDATE users SET email_lower = lower(email); -- want: unbatched-backfill "users.email_lower was added at line 11, but users already holds its rows"
ALTER TABLE users ADD COLUMN score int;
UPDATE users SET score = 0; -- want: unbatched-backfill "a constant: a DEFAULT on the ADD COLUMN"
