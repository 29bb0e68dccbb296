SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk; -- want: validate-in-same-transaction "same transaction as its NOT VALID add at line 2: the SHARE ROW EXCLUSIVE taken there on orders"
