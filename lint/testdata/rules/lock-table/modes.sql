SET lock_timeout = '2s';
LOCK TABLE invoices IN SHARE MODE; -- want: lock-table "LOCK TABLE invoices takes SHARE, blocking its writes until the transaction ends, through the 4 statements after it"
-- Modes that block neither reads nor writes are not flagged.
LOCK TABLE invoices IN ROW EXCLUSIVE MODE;
LOCK TABLE invoices IN SHARE UPDATE EXCLUSIVE MODE;
-- A table created in this file has no readers.
CREATE TABLE scratch (id bigint PRIMARY KEY);
LOCK TABLE scratch IN ACCESS EXCLUSIVE MODE;
