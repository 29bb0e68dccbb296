-- test: assume_lock_timeout=true
ALTER TABLE users ADD COLUMN nickname text;
