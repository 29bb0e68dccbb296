SET lock_timeout = '2s';
ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL; -- want: drop-not-null "accounts.name"
CREATE TABLE t (a int NOT NULL);
ALTER TABLE t ALTER COLUMN a DROP NOT NULL;
