SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_check; -- want: validate-in-same-transaction "while this transaction holds ACCESS EXCLUSIVE on users since line 2"
