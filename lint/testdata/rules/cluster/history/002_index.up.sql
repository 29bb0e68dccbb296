CREATE INDEX CONCURRENTLY events_happened_at_idx ON events (happened_at);
