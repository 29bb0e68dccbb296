-- test: runner=multi-statement
DROP INDEX CONCURRENTLY IF EXISTS users_a_idx;
CREATE INDEX CONCURRENTLY users_a_idx ON users (a);
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_b_idx ON users (b); -- want: prefer-robust-stmts "skips the INVALID index that a failed earlier run leaves behind"
