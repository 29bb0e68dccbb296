SET lock_timeout = '2s';
-- A partitioned table created by the same file has no traffic yet.
CREATE TABLE imports (id bigint, loaded_on date NOT NULL) PARTITION BY RANGE (loaded_on);
CREATE TABLE imports_2024 PARTITION OF imports FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX imports_id_idx ON imports (id);
