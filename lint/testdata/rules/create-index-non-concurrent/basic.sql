SET lock_timeout = '2s';
CREATE INDEX users_email_idx ON users (email); -- want: create-index-non-concurrent "blocks writes"
CREATE UNIQUE INDEX users_name_key ON users (name); -- want: create-index-non-concurrent

-- A table created in the same file has no traffic yet.
CREATE TABLE events (id bigint PRIMARY KEY, user_id bigint);
CREATE INDEX events_user_idx ON events (user_id);
