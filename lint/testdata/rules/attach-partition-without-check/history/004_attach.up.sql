SET lock_timeout = '2s';
ALTER TABLE measurements ATTACH PARTITION measurements_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01'); -- want: attach-partition-without-check "ACCESS EXCLUSIVE on measurements_2025 and scans all of it"
-- The validated CHECK proves the bound: no scan.
ALTER TABLE measurements ATTACH PARTITION measurements_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE measurements ATTACH PARTITION measurements_old FOR VALUES FROM (MINVALUE) TO ('2024-01-01'); -- want: attach-partition-without-check "measurements_old"
