CREATE TABLE measurements (id bigint, taken_on date NOT NULL, value integer) PARTITION BY RANGE (taken_on);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 (id bigint, taken_on date NOT NULL, value integer);
CREATE TABLE measurements_2026 (id bigint, taken_on date NOT NULL, value integer);
CREATE TABLE measurements_old (id bigint, taken_on date NOT NULL, value integer);
