SET lock_timeout = '2s';
ALTER TABLE orders
  ADD COLUMN note text,
  ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE; -- want: add-foreign-key-not-valid-missing
