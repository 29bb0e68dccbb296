SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ALTER COLUMN plan DROP DEFAULT; -- want: mixed-phase-file "expand \(line 2\), contract \(line 3\)"
