SET lock_timeout = '2s';
-- IF NOT EXISTS of a column that exists is a no-op.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS tier text NOT NULL;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS owner_id bigint NOT NULL; -- want: add-not-null-column-no-default "accounts.owner_id"
