SET lock_timeout = '2s';
ALTER INDEX users_email_idx RENAME TO users_email_lower_idx; -- want: rename-index-or-constraint "renaming index users_email_idx to users_email_lower_idx breaks code of the old release"
ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_unique; -- want: rename-index-or-constraint "ON CONFLICT ON CONSTRAINT users_email_key fails"
CREATE TABLE t (a int);
CREATE INDEX t_a_idx ON t (a);
ALTER INDEX t_a_idx RENAME TO t_a_index;
