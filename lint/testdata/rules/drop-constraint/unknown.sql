SET lock_timeout = '2s';
ALTER TABLE accounts DROP CONSTRAINT accounts_pkey; -- want: drop-constraint "primary key accounts_pkey \(a primary key by its name\)"
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_legacy; -- want: drop-constraint "removes a guarantee the old release may rely on"
CREATE TABLE t (a int CONSTRAINT t_a_check CHECK (a > 0));
ALTER TABLE t DROP CONSTRAINT t_a_check;
-- replaced in one statement: the ADD is what counts
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_name_check, ADD CONSTRAINT accounts_name_check CHECK (name <> '') NOT VALID;
