-- test: new=002,003,004
SET lock_timeout = '2s';
CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us'); -- want: create-partition-scans-default "takes ACCESS EXCLUSIVE on orders and scans its DEFAULT partition orders_other"
-- No DEFAULT partition: a brief catalog change.
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- The safe path, as the fix writes it, in the same pull request (unreleased files):
CREATE TABLE orders_apac (LIKE orders INCLUDING ALL);
ALTER TABLE orders_other ADD CONSTRAINT orders_other_not_orders_apac CHECK (NOT (region IS NOT NULL AND region IN ('apac'))) NOT VALID;
