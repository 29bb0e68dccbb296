SET lock_timeout = '2s';
-- covered by an index the history created
ALTER TABLE invoices ADD CONSTRAINT invoices_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
-- covered by the index that 003 builds concurrently, in a file of its own
ALTER TABLE payments ADD CONSTRAINT payments_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE payments ADD COLUMN refunded_by bigint REFERENCES users (id); -- want: fk-without-index "payments \(refunded_by\)"
