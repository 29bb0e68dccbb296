-- test: runner=multi-statement
BEGIN;
ALTER TABLE users ADD COLUMN a text;
COMMIT;
BEGIN;
ROLLBACK TO SAVEPOINT x;
COMMIT;
