SET lock_timeout = '2s';
ALTER TABLE accounts DROP COLUMN IF EXISTS old_flag; -- want: drop-column "old release"
CREATE TABLE scratch (a int, b int);
ALTER TABLE scratch DROP COLUMN b;
