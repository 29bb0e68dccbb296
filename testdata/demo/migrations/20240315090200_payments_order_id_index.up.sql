CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_order_id_idx ON payments (order_id);
