SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN email TYPE varchar(100);
ALTER TABLE users ALTER COLUMN name TYPE text;
ALTER TABLE users ALTER COLUMN balance TYPE numeric(12,2);
ALTER TABLE users ALTER COLUMN net TYPE inet;
ALTER TABLE users ALTER COLUMN id TYPE bigint; -- want: change-column-type "from integer to bigint rewrites"
ALTER TABLE users ALTER COLUMN email TYPE varchar(20); -- want: change-column-type "from varchar\(100\) to varchar\(20\)"
ALTER TABLE users ALTER COLUMN seen TYPE timestamptz; -- want: change-column-type "TimeZone is UTC"
ALTER TABLE users ALTER COLUMN balance TYPE numeric(12,2) USING balance::numeric(12,2); -- want: change-column-type "USING"
