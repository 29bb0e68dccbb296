SELECT 1;
DO $$
BEGIN
  UPDATE users SET a = 1 WHERE id = 1;
  UPDATE users SET b = WHERE id = 2; -- want: syntax-error "in the DO block at line 2: syntax error at or near \"WHERE\""
END
$$;
