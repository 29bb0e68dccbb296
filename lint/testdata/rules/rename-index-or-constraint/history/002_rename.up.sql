SET lock_timeout = '2s';
ALTER INDEX users_email_key RENAME TO users_email_uq; -- want: rename-index-or-constraint "and so the unique constraint of users"
ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_primary; -- want: rename-index-or-constraint "primary key constraint users_pkey"
