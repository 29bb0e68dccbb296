SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN email SET NOT NULL; -- want: set-not-null "still NOT VALID"
