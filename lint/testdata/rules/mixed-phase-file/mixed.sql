SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN email_lower text;
UPDATE users SET email_lower = lower(email) WHERE id BETWEEN 1 AND 1000; -- want: mixed-phase-file "expand \(line 2\), backfill \(line 3\)"
