SET lock_timeout = '2s';
-- already NOT NULL: PostgreSQL does nothing
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
