SET lock_timeout = '2s';
-- lockstep:ignore drop-column,rename-column reviewed in PR 812 -- want: unused-ignore "rename-column suppresses nothing"
ALTER TABLE users DROP COLUMN legacy;
DO $$
BEGIN
  -- lockstep:ignore drop-table archived, nothing reads it
  DROP TABLE archive_2019;
  -- lockstep:ignore drop-table stale -- want: unused-ignore "drop-table suppresses nothing"
  UPDATE users SET a = 1 WHERE id = 1;
END
$$;
