SET lock_timeout = '2s';
-- The CHECKs the fix of 002 writes, for the next partition.
ALTER TABLE orders_apac ADD CONSTRAINT orders_apac_partition_check CHECK (region IS NOT NULL AND region IN ('apac')) NOT VALID;
ALTER TABLE orders_other ADD CONSTRAINT orders_other_not_orders_apac CHECK (NOT (region IS NOT NULL AND region IN ('apac'))) NOT VALID;
