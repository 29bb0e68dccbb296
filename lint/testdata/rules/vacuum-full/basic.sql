VACUUM FULL orders; -- want: vacuum-full "VACUUM FULL rewrites orders under ACCESS EXCLUSIVE"
