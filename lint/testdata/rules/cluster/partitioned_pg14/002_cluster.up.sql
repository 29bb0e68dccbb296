-- test: pg=14
SET lock_timeout = '2s';
-- before PostgreSQL 15 CLUSTER refuses partitioned tables, in a transaction or not
CLUSTER events USING events_happened_at_idx; -- want: cluster "fails before PostgreSQL 15"
