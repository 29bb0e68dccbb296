-- test: new=002,003
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
