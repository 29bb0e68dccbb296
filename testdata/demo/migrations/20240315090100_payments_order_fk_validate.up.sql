-- A file of its own: VALIDATE scans payments under SHARE UPDATE EXCLUSIVE,
-- which lets reads and writes through.
ALTER TABLE payments VALIDATE CONSTRAINT payments_order_id_fkey;
