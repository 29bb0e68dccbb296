-- SET takes no lock: nothing is held during the scan.
SET statement_timeout = 0;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
