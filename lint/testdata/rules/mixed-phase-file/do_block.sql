DO $$
BEGIN
  ALTER TABLE users ADD COLUMN nick text;
  UPDATE users SET nick = name WHERE id BETWEEN 1 AND 100; -- want: mixed-phase-file "expand \(line 3\), backfill \(line 4\)"
END
$$;
