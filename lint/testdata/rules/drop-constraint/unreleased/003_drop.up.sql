SET lock_timeout = '2s';
ALTER TABLE users DROP CONSTRAINT users_email_lower_key;
ALTER TABLE users DROP CONSTRAINT users_email_key; -- want: drop-constraint "users_email_key"
