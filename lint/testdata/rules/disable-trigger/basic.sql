SET lock_timeout = '2s';
ALTER TABLE orders DISABLE TRIGGER ALL; -- want: disable-trigger "turns off every trigger of orders, its foreign-key checks included: once committed"
-- Enabled again in the same transaction: writes wait instead of skipping them.
ALTER TABLE payments DISABLE TRIGGER USER; -- want: disable-trigger "holds SHARE ROW EXCLUSIVE until the transaction that enables them again commits"
UPDATE payments SET note = NULL WHERE id BETWEEN 1 AND 1000;
ALTER TABLE payments ENABLE TRIGGER USER;
ALTER TABLE invoices DISABLE TRIGGER ALL; -- want: disable-trigger "turns off its foreign-key checks for the rows this transaction writes"
ALTER TABLE invoices ENABLE TRIGGER ALL;

-- A table created in the same file has no traffic yet.
CREATE TABLE imports (id bigint PRIMARY KEY, order_id bigint);
ALTER TABLE imports DISABLE TRIGGER ALL;
-- Enabling a trigger is not flagged.
ALTER TABLE shipments ENABLE TRIGGER ALL;
