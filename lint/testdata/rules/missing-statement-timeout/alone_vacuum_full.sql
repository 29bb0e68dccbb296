VACUUM FULL users; -- want: missing-statement-timeout "must be alone in its file under golang-migrate"
