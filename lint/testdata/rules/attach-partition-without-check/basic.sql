SET lock_timeout = '2s';
-- A partition created by the same file has no traffic yet.
CREATE TABLE events_2027 (id bigint, happened_on date NOT NULL);
ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
