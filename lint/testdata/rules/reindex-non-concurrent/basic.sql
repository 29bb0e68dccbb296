SET lock_timeout = '2s';
REINDEX INDEX users_email_idx; -- want: reindex-non-concurrent "REINDEX INDEX users_email_idx without CONCURRENTLY"
REINDEX TABLE users; -- want: reindex-non-concurrent "REINDEX TABLE users"
REINDEX SCHEMA app; -- want: reindex-non-concurrent "REINDEX SCHEMA app"
REINDEX (VERBOSE) DATABASE shop; -- want: reindex-non-concurrent "DATABASE shop"
REINDEX SYSTEM shop; -- want: reindex-non-concurrent "no CONCURRENTLY form"

-- A table created by this file has no traffic yet.
CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz);
REINDEX TABLE events;
