SET lock_timeout = '2s';
-- The default partition's CHECK excludes 'apac', not 'latam': it is scanned again.
ALTER TABLE orders ATTACH PARTITION orders_latam FOR VALUES IN ('latam'); -- want: attach-partition-without-check "orders_latam and scans" attach-partition-without-check "default partition orders_other"
