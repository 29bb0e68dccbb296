CREATE TABLE audit (id int PRIMARY KEY, at timestamptz NOT NULL);
CREATE INDEX audit_at_idx ON audit (at);
ALTER TABLE audit ALTER COLUMN id TYPE bigint;
