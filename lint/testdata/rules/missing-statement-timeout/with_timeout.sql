SET lock_timeout = '2s';
SET statement_timeout = '10min';
ALTER TABLE users ALTER COLUMN id TYPE bigint;
CREATE INDEX users_email_idx ON users (email);
