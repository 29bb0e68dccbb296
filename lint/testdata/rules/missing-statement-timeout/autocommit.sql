-- test: runner=per-statement
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text;
-- Each statement commits on its own: nothing is held during the UPDATE.
UPDATE orders SET status = 'open' WHERE status IS NULL;
