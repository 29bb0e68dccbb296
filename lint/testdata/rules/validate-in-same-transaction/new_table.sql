-- A table created by this file has no traffic to block.
CREATE TABLE payments (id bigint PRIMARY KEY, amount numeric);
ALTER TABLE payments ADD CONSTRAINT payments_amount_check CHECK (amount > 0) NOT VALID;
ALTER TABLE payments VALIDATE CONSTRAINT payments_amount_check;
