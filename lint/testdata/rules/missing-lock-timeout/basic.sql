ALTER TABLE users ADD COLUMN nickname text; -- want: missing-lock-timeout "ACCESS EXCLUSIVE on users"
ALTER TABLE users ADD COLUMN bio text;
