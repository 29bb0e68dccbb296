-- CONCURRENTLY cannot run in a transaction block, so it is alone in its
-- file: golang-migrate then sends it as a single statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_at_idx ON orders (created_at);
