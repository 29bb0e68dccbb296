-- test: runner=multi-statement
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_at_idx ON orders (created_at);
CLUSTER orders USING orders_created_at_idx; -- want: cluster "CLUSTER rewrites orders and rebuilds its indexes under ACCESS EXCLUSIVE"

-- Recording the index to cluster on is catalog-only (SHARE UPDATE EXCLUSIVE).
ALTER TABLE orders CLUSTER ON orders_created_at_idx;

-- A table created in this file has no readers.
CREATE TABLE scratch (id bigint PRIMARY KEY);
CLUSTER scratch USING scratch_pkey;
