SET lock_timeout = '2s';
DROP TABLE teams CASCADE; -- want: drop-table "CASCADE also drops the foreign keys of members and projects"
