CREATE TABLE visits (
  at timestamp, -- want: prefer-timestamptz "visits.at is timestamp without time zone"
  at_ms timestamp(3) without time zone, -- want: prefer-timestamptz "visits.at_ms"
  ok timestamptz,
  ok2 timestamp with time zone,
  t time
);
ALTER TABLE visits ALTER COLUMN ok TYPE timestamp; -- want: prefer-timestamptz "visits.ok"
ALTER TABLE visits ADD COLUMN seen timestamp(6) with time zone;
CREATE TABLE audits (at timestamptz NOT NULL DEFAULT now(), d date);
