SET lock_timeout = '2s';
CREATE INDEX users_email_idx ON users (email); -- want: missing-statement-timeout "CREATE INDEX scans users while holding SHARE on users, .*writes to users wait"
