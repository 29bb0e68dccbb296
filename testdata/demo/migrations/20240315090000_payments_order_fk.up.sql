-- lockstep:phase expand
-- NOT VALID: new rows are checked at once, old rows are not scanned now.
SET lock_timeout = '2s';
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
