SET lock_timeout = '2s';
DROP INDEX users_email_idx; -- want: drop-index-non-concurrent "DROP INDEX users_email_idx without CONCURRENTLY takes ACCESS EXCLUSIVE on its table"
DROP INDEX IF EXISTS a_idx, b_idx CASCADE; -- want: drop-index-non-concurrent "a_idx and b_idx"

-- An index created by this file has no users yet.
CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz);
CREATE INDEX events_at_idx ON events (at);
DROP INDEX events_at_idx;
