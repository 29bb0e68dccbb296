SET lock_timeout = '2s';
-- 004 sets a new default, but in a transaction of its own: until it commits,
-- the old release's inserts that leave plan out fail
ALTER TABLE users ALTER COLUMN plan DROP DEFAULT; -- want: drop-default-on-not-null "a later migration file of this change sets a new default"
ALTER TABLE users ALTER COLUMN locale SET DEFAULT 'fr';
