-- test: new=002,003
CREATE INDEX CONCURRENTLY users_lower_email_idx ON users (lower(email));
