SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text DEFAULT 'free';
ALTER TABLE users ALTER COLUMN plan SET NOT NULL; -- want: set-not-null "scans the whole table under ACCESS EXCLUSIVE \(the old release's inserts get its default\)"
ALTER TABLE users ADD COLUMN region text;
ALTER TABLE users ALTER COLUMN region SET NOT NULL; -- want: set-not-null "old release, which does not know region"
