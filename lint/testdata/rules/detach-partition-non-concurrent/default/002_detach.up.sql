SET lock_timeout = '2s';
-- CONCURRENTLY is refused while a DEFAULT partition exists: the fix retries under lock_timeout.
ALTER TABLE orders DETACH PARTITION orders_eu; -- want: detach-partition-non-concurrent "on orders"
-- FINALIZE of an interrupted concurrent detach takes SHARE UPDATE EXCLUSIVE.
ALTER TABLE orders DETACH PARTITION orders_eu FINALIZE;
