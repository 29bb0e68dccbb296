SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN a text;
RESET lock_timeout;
ALTER TABLE users ADD COLUMN b text; -- want: missing-lock-timeout
