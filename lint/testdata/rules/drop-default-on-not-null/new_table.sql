SET lock_timeout = '2s';
CREATE TABLE t (a text NOT NULL DEFAULT 'x');
ALTER TABLE t ALTER COLUMN a DROP DEFAULT;
-- The history does not describe accounts: lockstep does not know whether x is NOT NULL.
ALTER TABLE accounts ALTER COLUMN x DROP DEFAULT;
