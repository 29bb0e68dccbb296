VACUUM (FULL, ANALYZE) orders, invoices; -- want: vacuum-full "VACUUM FULL rewrites orders and invoices under ACCESS EXCLUSIVE"
