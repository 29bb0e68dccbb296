-- test: runner=per-statement
LOCK TABLE orders IN EXCLUSIVE MODE; -- want: lock-table "LOCK TABLE orders outside a transaction block fails"
