SET lock_timeout = '2s';
DO $$
BEGIN
  ALTER TABLE orders ADD CONSTRAINT orders_ship_check CHECK (shipped_at IS NULL OR paid_at IS NOT NULL) NOT VALID;
  ALTER TABLE orders VALIDATE CONSTRAINT orders_ship_check; -- want: validate-in-same-transaction "line 4"
END
$$;
