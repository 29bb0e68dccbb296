CREATE TABLE measurements (id bigint, taken_on date NOT NULL, device_id bigint, value integer) PARTITION BY RANGE (taken_on);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
  PARTITION BY LIST (device_id);
CREATE TABLE measurements_2025_a PARTITION OF measurements_2025 FOR VALUES IN (1, 2, 3);
