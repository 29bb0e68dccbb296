SET lock_timeout = '2s';
ALTER TABLE events SET TABLESPACE pg_default; -- want: set-tablespace "SET TABLESPACE copies events to pg_default under ACCESS EXCLUSIVE"
ALTER INDEX events_created_at_idx SET TABLESPACE pg_default; -- want: set-tablespace "copies the index events_created_at_idx"
ALTER MATERIALIZED VIEW daily_totals SET TABLESPACE pg_default; -- want: set-tablespace "the materialized view daily_totals"

-- A table created in the same file has no traffic yet.
CREATE TABLE imports (id bigint PRIMARY KEY, payload text);
ALTER TABLE imports SET TABLESPACE pg_default;
CREATE INDEX imports_payload_idx ON imports (payload);
ALTER INDEX imports_payload_idx SET TABLESPACE pg_default;
-- Other storage settings do not move anything.
ALTER TABLE events SET (fillfactor = 90);
