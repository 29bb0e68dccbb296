SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0); -- want: add-check-not-valid-missing "the CHECK orders_amount_positive checks every row of orders while holding ACCESS EXCLUSIVE"
ALTER TABLE orders ADD CHECK (quantity IS NOT NULL); -- want: add-check-not-valid-missing "orders_quantity_check"
ALTER TABLE orders ADD COLUMN discount integer CHECK (discount >= 0); -- want: add-check-not-valid-missing "the CHECK on the new column discount"

-- NOT VALID: instant, binds new and updated rows only.
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;

-- A table created in this file has no rows to check.
CREATE TABLE refunds (id bigint PRIMARY KEY, amount integer);
ALTER TABLE refunds ADD CONSTRAINT refunds_amount_positive CHECK (amount > 0);
