SET lock_timeout = '2s';
-- The new partition and the DEFAULT one are both scanned.
ALTER TABLE orders ATTACH PARTITION orders_us FOR VALUES IN ('us'); -- want: attach-partition-without-check "scans all of it" attach-partition-without-check "default partition orders_other"
