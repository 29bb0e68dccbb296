SET lock_timeout = '2s';
ALTER TABLE measurements_2026 ADD CONSTRAINT measurements_2026_bound
  CHECK (taken_on >= '2026-01-01' AND taken_on < '2027-01-01') NOT VALID;
