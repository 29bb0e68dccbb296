SET lock_timeout = '2s';
DROP INDEX users_email_idx; -- want: drop-index-non-concurrent "ACCESS EXCLUSIVE on users"
DROP INDEX accounts_name_key; -- want: drop-index-non-concurrent "backs the unique constraint accounts_name_key"
DROP INDEX measurements_at_idx; -- want: drop-index-non-concurrent "no CONCURRENTLY form"
