CREATE UNIQUE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);
