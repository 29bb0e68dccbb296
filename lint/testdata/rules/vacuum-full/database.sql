VACUUM FULL; -- want: vacuum-full "VACUUM FULL without a table rewrites every table of the database"
