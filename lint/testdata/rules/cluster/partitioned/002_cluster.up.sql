CLUSTER events USING events_happened_at_idx; -- want: cluster "CLUSTER of the partitioned table events rewrites each of its partitions \(events_2025, events_2026\)"
