DO $$
BEGIN
  SET LOCAL lock_timeout = '2s';
  DROP TABLE legacy_sessions; -- want: drop-table "legacy_sessions.*inside the DO block at line 1"
END
$$;
