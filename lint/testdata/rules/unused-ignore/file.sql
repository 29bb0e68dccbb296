-- lockstep:ignore-file drop-table nothing drops a table here -- want: unused-ignore "lockstep:ignore-file drop-table suppresses nothing"
-- lockstep:ignore-file drop-column the contract step of release 42
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN a;
