ALTER SCHEMA staging RENAME TO imports;
ALTER SCHEMA billing RENAME TO accounting; -- want: rename-schema "billing"
