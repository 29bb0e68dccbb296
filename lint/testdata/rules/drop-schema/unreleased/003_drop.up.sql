DROP SCHEMA staging;
DROP SCHEMA billing; -- want: drop-schema "billing"
