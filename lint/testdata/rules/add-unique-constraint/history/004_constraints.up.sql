SET lock_timeout = '2s';
-- Catalog-only: the index was built concurrently in 002.
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_key;
-- The history has a unique index on name already: the fix attaches it.
ALTER TABLE accounts ADD CONSTRAINT accounts_name_key UNIQUE (name); -- want: add-unique-constraint "the unique index accounts_name_idx \(created at .*003_name_index.up.sql:1\) already exists: attach it instead"
-- No index on phone: build one.
ALTER TABLE accounts ADD CONSTRAINT accounts_phone_key UNIQUE (phone) DEFERRABLE; -- want: add-unique-constraint "accounts_phone_key builds its index on accounts"
