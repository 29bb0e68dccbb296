ALTER SCHEMA billing RENAME TO accounting; -- want: rename-schema "renaming schema billing to accounting breaks every query of the old release that names billing"
CREATE SCHEMA scratch;
ALTER SCHEMA scratch RENAME TO staging;
