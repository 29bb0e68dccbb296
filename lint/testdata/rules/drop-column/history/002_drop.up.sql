-- test: new=002
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN temp text;
ALTER TABLE users DROP COLUMN temp;
ALTER TABLE users DROP COLUMN legacy; -- want: drop-column "drops the index users_legacy_idx"
