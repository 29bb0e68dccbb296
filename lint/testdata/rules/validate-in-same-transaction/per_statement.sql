-- test: runner=per-statement
-- Each statement commits on its own: the add's lock is gone by the VALIDATE.
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;
BEGIN;
ALTER TABLE orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_qty_check; -- want: validate-in-same-transaction "ACCESS EXCLUSIVE taken there on orders"
COMMIT;
