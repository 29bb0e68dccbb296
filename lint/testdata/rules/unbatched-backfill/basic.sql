UPDATE users SET email_lower = lower(email); -- want: unbatched-backfill "every row of users"
UPDATE users SET active = true WHERE active IS NULL; -- want: unbatched-backfill "without a bounded key range"
DELETE FROM sessions WHERE expires_at < now(); -- want: unbatched-backfill
UPDATE users SET email_lower = lower(email) WHERE id BETWEEN 1 AND 10000;
UPDATE users SET email_lower = lower(email) WHERE id >= 1 AND id < 10000 AND email_lower IS NULL;
UPDATE users SET email_lower = lower(email) WHERE id IN (SELECT id FROM users WHERE email_lower IS NULL LIMIT 1000);
DELETE FROM users WHERE id = 42;
CREATE TABLE tmp (id int, v int);
UPDATE tmp SET v = 1;
