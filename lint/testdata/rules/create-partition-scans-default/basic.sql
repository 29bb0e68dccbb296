SET lock_timeout = '2s';
-- A partitioned table created by the same file has no traffic yet.
CREATE TABLE imports (id bigint, source text NOT NULL) PARTITION BY LIST (source);
CREATE TABLE imports_other PARTITION OF imports DEFAULT;
CREATE TABLE imports_csv PARTITION OF imports FOR VALUES IN ('csv');
