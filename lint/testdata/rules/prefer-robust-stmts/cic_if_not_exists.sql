-- The best a file of one statement can do under golang-migrate.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
