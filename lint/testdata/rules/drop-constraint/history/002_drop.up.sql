SET lock_timeout = '2s';
ALTER TABLE users DROP CONSTRAINT users_email_key; -- want: drop-constraint "dropping the unique users_email_key \(email\) on users breaks the old release's INSERT ... ON CONFLICT \(email\)"
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey; -- want: drop-constraint "ACCESS EXCLUSIVE on orders and on users"
ALTER TABLE users DROP CONSTRAINT users_age_check; -- want: drop-constraint "lets in rows the old release"
-- added by this file: nothing relies on it yet
ALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0) NOT VALID;
ALTER TABLE users DROP CONSTRAINT users_id_positive;
