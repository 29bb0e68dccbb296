SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN phone SET NOT NULL;
