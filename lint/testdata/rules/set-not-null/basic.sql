SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN email SET NOT NULL; -- want: set-not-null "scans the whole table"
CREATE TABLE t (a int);
ALTER TABLE t ALTER COLUMN a SET NOT NULL;
