SET lock_timeout = '2s';
TRUNCATE customers CASCADE; -- want: truncate "CASCADE also empties invoices and payments"
-- A table created in this file (or an unreleased one) has no readers.
CREATE TABLE staging (id bigint PRIMARY KEY);
TRUNCATE staging;
