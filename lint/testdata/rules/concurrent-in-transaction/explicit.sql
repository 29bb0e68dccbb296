-- test: runner=multi-statement
CREATE INDEX CONCURRENTLY a_idx ON users (a);
BEGIN;
DROP INDEX CONCURRENTLY b_idx; -- want: concurrent-in-transaction "BEGIN"
COMMIT;
REINDEX INDEX CONCURRENTLY c_idx;
