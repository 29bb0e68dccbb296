-- test: runner=per-statement
DO $$
BEGIN
  ALTER TYPE mood ADD VALUE 'bored';
  UPDATE users SET mood = 'bored' WHERE id = 1; -- want: add-enum-value-in-transaction "'bored'.*inside the DO block"
END
$$;
