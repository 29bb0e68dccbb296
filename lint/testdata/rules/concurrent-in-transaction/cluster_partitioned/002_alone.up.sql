CLUSTER events USING events_happened_at_idx;
