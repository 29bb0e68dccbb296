-- test: runner=multi-statement
SET LOCAL lock_timeout = '2s';
ALTER TABLE users ADD COLUMN nickname text; -- want: missing-lock-timeout "no effect outside a transaction"
