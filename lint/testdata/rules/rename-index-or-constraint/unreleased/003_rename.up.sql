SET lock_timeout = '2s';
ALTER INDEX users_lower_email_idx RENAME TO users_email_lower_idx;
ALTER INDEX users_email_idx RENAME TO users_email_index; -- want: rename-index-or-constraint "users_email_idx"
