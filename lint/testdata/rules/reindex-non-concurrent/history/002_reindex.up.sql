REINDEX INDEX users_email_idx; -- want: reindex-non-concurrent "blocks writes to users"
