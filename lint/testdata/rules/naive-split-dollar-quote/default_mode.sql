-- golang-migrate's default mode sends the file as one query string: PostgreSQL parses it properly.
DO $$
BEGIN
  UPDATE users SET a = 1 WHERE id = 1;
END
$$;
SELECT 'a;b';
