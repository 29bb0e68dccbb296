-- test: runner=per-statement
SAVEPOINT before_backfill; -- want: transaction-nesting "SAVEPOINT outside BEGIN ... COMMIT fails"
BEGIN;
SAVEPOINT inside;
RELEASE inside;
COMMIT;
