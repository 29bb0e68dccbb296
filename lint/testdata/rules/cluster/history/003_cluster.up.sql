SET lock_timeout = '2s';
ALTER TABLE events CLUSTER ON events_happened_at_idx;
CLUSTER events; -- want: cluster "CLUSTER rewrites events"
