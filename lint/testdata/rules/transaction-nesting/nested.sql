-- test: runner=multi-statement
BEGIN;
ALTER TABLE users ADD COLUMN a text;
BEGIN; -- want: transaction-nesting "BEGIN inside the transaction opened at line 2: PostgreSQL only warns, and the first COMMIT ends both"
ALTER TABLE users ADD COLUMN b text;
COMMIT;
COMMIT; -- want: transaction-nesting "COMMIT with no transaction open"
