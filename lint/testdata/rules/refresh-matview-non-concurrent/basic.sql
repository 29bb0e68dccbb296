SET lock_timeout = '2s';
-- lockstep does not know the view: CONCURRENTLY is a drop-in if it has a unique index.
REFRESH MATERIALIZED VIEW daily_sales; -- want: refresh-matview-non-concurrent "REFRESH MATERIALIZED VIEW daily_sales without CONCURRENTLY holds ACCESS EXCLUSIVE on it while the query reruns"
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;

-- A view created in this file has no readers.
CREATE MATERIALIZED VIEW order_totals AS SELECT 1::bigint AS id, 0::numeric AS total;
REFRESH MATERIALIZED VIEW order_totals;
