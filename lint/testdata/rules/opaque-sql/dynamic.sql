DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables LOOP
    EXECUTE 'ANALYZE ' || quote_ident(t); -- want: opaque-sql
  END LOOP;
  EXECUTE 'SELECT 1';
END
$$;
