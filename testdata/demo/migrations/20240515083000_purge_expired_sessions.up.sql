-- One-off cleanup before the sessions rework.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT id FROM users LOOP
    DELETE FROM sessions WHERE user_id = r.id AND expires_at < now();
  END LOOP;
END
$$;
