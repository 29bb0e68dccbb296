SET lock_timeout = '2s';
-- Replacing a default within one transaction is expand work: inserts that
-- leave the column out never fail.
ALTER TABLE users ALTER COLUMN status DROP DEFAULT;
ALTER TABLE users ALTER COLUMN status SET DEFAULT 'pending';
ALTER TABLE users ADD COLUMN nickname text;
