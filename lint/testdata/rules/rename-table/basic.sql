SET lock_timeout = '2s';
ALTER TABLE users RENAME TO accounts; -- want: rename-table "renaming table users to accounts breaks the old release, which still queries users"
ALTER TABLE IF EXISTS billing.invoices RENAME TO bills; -- want: rename-table "billing.invoices"
ALTER VIEW active_users RENAME TO current_users; -- want: rename-table "renaming view active_users"
CREATE TABLE imports (id bigint PRIMARY KEY);
ALTER TABLE imports RENAME TO import_jobs;
