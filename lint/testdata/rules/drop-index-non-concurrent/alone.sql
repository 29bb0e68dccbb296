DROP INDEX users_name_idx; -- want: drop-index-non-concurrent
