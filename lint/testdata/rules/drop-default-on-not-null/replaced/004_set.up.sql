SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN plan SET DEFAULT 'trial';
