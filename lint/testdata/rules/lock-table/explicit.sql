-- test: runner=multi-statement
BEGIN;
SET LOCAL lock_timeout = '2s';
LOCK TABLE accounts, ledger IN SHARE ROW EXCLUSIVE MODE; -- want: lock-table "LOCK TABLE accounts and ledger takes SHARE ROW EXCLUSIVE, blocking their writes until the transaction ends, through the 2 statements after it"
UPDATE accounts SET balance = balance - 10 WHERE id = 1;
UPDATE ledger SET total = total + 10 WHERE id = 1;
COMMIT;
SELECT 1;
