SET lock_timeout = '2s';
CLUSTER events USING events_happened_at_idx; -- want: concurrent-in-transaction "CLUSTER of a partitioned table cannot run in a transaction block: it fails in a file of 2 statements"
