-- test: new=002,003
ALTER TABLE users ADD CONSTRAINT users_email_lower_key UNIQUE (email);
