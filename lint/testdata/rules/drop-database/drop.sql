DROP DATABASE IF EXISTS legacy_app; -- want: drop-database "DROP DATABASE legacy_app destroys every table in it"
