-- A partitioned table of this file has no readers, but the CLUSTER still fails
-- in the file's transaction (concurrent-in-transaction says so).
CREATE TABLE logs (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE INDEX logs_at_idx ON logs (at);
CLUSTER logs USING logs_at_idx; -- want: concurrent-in-transaction "partitioned"
CLUSTER logs; -- want: cluster "fails: a partitioned table has no clustered index"
