-- test: runner=multi-statement
-- x-multi-statement=true runs each statement in autocommit: between the DROP
-- and the SET, inserts that leave the column out fail.
SET lock_timeout = '2s';
CREATE TABLE IF NOT EXISTS orders_shadow (id bigint);
ALTER TABLE orders ADD COLUMN state text NOT NULL DEFAULT 'new';
ALTER TABLE orders ALTER COLUMN state DROP DEFAULT; -- want: drop-default-on-not-null "until line 11 sets a new default"
-- inside BEGIN ... COMMIT the two are one transaction
BEGIN;
ALTER TABLE orders ALTER COLUMN state DROP DEFAULT;
ALTER TABLE orders ALTER COLUMN state SET DEFAULT 'open';
COMMIT;
