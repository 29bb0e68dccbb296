SET statement_timeout = 0;
CREATE INDEX CONCURRENTLY users_email_idx ON users (email); -- want: concurrent-in-transaction "2 statements"
