SET lock_timeout = '2s';
ALTER TABLE invites ALTER COLUMN state DROP DEFAULT;
ALTER TABLE users ALTER COLUMN plan DROP DEFAULT; -- want: drop-default-on-not-null "users.plan"
