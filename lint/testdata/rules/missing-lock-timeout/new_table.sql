CREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz NOT NULL);
CREATE INDEX audit_at_idx ON audit (at);
ALTER TABLE audit ADD COLUMN actor text;
