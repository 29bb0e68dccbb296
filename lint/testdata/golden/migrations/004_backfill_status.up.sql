-- lockstep:phase backfill
DO $$
BEGIN
  UPDATE accounts SET status = 'active' WHERE status IS NULL;
END
$$;
