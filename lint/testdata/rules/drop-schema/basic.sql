DROP SCHEMA reporting; -- want: drop-schema "breaks the old release if it still uses anything in reporting"
DROP SCHEMA IF EXISTS analytics CASCADE; -- want: drop-schema "CASCADE drops every table, view, sequence and function in it"
CREATE SCHEMA tmp;
DROP SCHEMA tmp;
