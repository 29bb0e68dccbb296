SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_user2_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
