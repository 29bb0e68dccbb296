BEGIN;
CLUSTER events USING events_happened_at_idx; -- want: concurrent-in-transaction "BEGIN"
COMMIT;
-- a plain table (a partition) may be clustered in a transaction block
BEGIN;
CLUSTER events_2025 USING events_2025_happened_at_idx;
COMMIT;
-- without an index it fails for another reason (the cluster rule says so)
BEGIN;
CLUSTER events;
COMMIT;
