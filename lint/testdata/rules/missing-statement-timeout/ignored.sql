SET lock_timeout = '2s';
-- lockstep:ignore create-index-non-concurrent sessions holds a few hundred rows; the build takes milliseconds
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
-- The ignore covers the statement after it only.
CREATE INDEX sessions_user_id_idx ON sessions (user_id); -- want: missing-statement-timeout "CREATE INDEX scans sessions"
