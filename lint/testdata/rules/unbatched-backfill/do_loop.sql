DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM users LOOP
    UPDATE users SET score = 0 WHERE id = r.id; -- want: unbatched-backfill "in a loop"
  END LOOP;
END
$$;
