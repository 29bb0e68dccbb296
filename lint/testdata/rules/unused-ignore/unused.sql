SET lock_timeout = '2s';
-- lockstep:ignore drop-column the column is unused since release 41
ALTER TABLE users DROP COLUMN legacy;
-- lockstep:ignore create-index-non-concurrent small table -- want: unused-ignore
ALTER TABLE users ADD COLUMN x text;
