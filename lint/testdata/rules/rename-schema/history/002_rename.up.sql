ALTER SCHEMA reporting RENAME TO analytics; -- want: rename-schema "it holds reporting.daily"
