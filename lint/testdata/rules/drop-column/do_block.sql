DO $$
BEGIN
  SET LOCAL lock_timeout = '2s';
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'legacy') THEN
    ALTER TABLE users DROP COLUMN legacy; -- want: drop-column "dropping users.legacy breaks the old release.*inside the DO block at line 1"
  END IF;
END
$$;
