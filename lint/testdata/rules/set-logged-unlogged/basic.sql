SET lock_timeout = '2s';
ALTER TABLE events SET UNLOGGED; -- want: set-logged-unlogged "SET UNLOGGED rewrites events under ACCESS EXCLUSIVE.*unreadable on standbys"
ALTER TABLE sessions SET LOGGED; -- want: set-logged-unlogged "SET LOGGED rewrites sessions.*WAL"

-- A table created in the same file has no traffic yet.
CREATE UNLOGGED TABLE imports (id bigint PRIMARY KEY, payload text);
ALTER TABLE imports SET LOGGED;
