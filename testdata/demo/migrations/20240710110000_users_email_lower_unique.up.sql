SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT users_email_lower_key UNIQUE (email_lower);
