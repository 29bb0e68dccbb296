-- Pull request #482: track shipments.
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
ALTER TABLE orders ADD COLUMN tracking_code text NOT NULL;
CREATE INDEX orders_tracking_code_idx ON orders (tracking_code);
UPDATE orders SET shipped_at = now() WHERE status = 'shipped';
