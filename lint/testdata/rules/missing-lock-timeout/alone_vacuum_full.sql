VACUUM FULL users; -- want: missing-lock-timeout "must be alone in its file under golang-migrate"
