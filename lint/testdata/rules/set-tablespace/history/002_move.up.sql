-- test: pg=13
SET lock_timeout = '2s';
-- A partitioned table has no storage: only its partitions' default changes.
ALTER TABLE measurements SET TABLESPACE pg_default;
ALTER TABLE measurements_2024 SET TABLESPACE pg_default; -- want: set-tablespace "copies measurements_2024"
ALTER INDEX accounts_pkey SET TABLESPACE pg_default; -- want: set-tablespace "every query that plans on accounts waits"
