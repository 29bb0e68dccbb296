-- A nullable column without a default: a catalog-only change.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN phone text;
