-- test: runner=multi-statement
-- A table created in this file has no readers.
CREATE TABLE scratch (id bigint PRIMARY KEY);
VACUUM FULL scratch;
