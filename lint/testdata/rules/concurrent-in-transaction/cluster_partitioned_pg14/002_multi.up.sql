-- test: pg=14
-- Before PostgreSQL 15 CLUSTER of a partitioned table fails whatever the
-- transaction (the cluster rule says so): not this rule's finding.
SET lock_timeout = '2s';
CLUSTER events USING events_happened_at_idx;
