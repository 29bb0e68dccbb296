DO $$
BEGIN
  CLUSTER events USING events_happened_at_idx; -- want: concurrent-in-transaction "DO block"
END
$$;
