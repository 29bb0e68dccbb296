SET lock_timeout = '2s';
CLUSTER events USING events_happened_at_idx; -- want: cluster "rewrites each of its partitions" concurrent-in-transaction "CLUSTER of a partitioned table cannot run in a transaction block"
-- a partition is a plain table: CLUSTER of it may share a transaction
CLUSTER events_2025 USING events_2025_happened_at_idx; -- want: cluster "CLUSTER rewrites events_2025"
