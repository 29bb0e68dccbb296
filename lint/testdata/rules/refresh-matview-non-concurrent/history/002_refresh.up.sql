SET lock_timeout = '2s';
-- The history gives customer_totals no unique index: CONCURRENTLY would fail.
REFRESH MATERIALIZED VIEW customer_totals; -- want: refresh-matview-non-concurrent "CONCURRENTLY needs a unique index on customer_totals, which the history does not create"
-- order_counts has one: CONCURRENTLY is the fix.
REFRESH MATERIALIZED VIEW order_counts; -- want: refresh-matview-non-concurrent "REFRESH MATERIALIZED VIEW order_counts without CONCURRENTLY"
REFRESH MATERIALIZED VIEW CONCURRENTLY order_counts;
