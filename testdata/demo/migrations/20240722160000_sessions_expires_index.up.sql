SET lock_timeout = '2s';
-- lockstep:ignore create-index-non-concurrent sessions holds under 1,000 rows (checked 2024-07-20); the build takes milliseconds
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
