CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE events (at timestamptz NOT NULL, user_id bigint) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
