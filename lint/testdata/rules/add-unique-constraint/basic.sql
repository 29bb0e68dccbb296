SET lock_timeout = '2s';
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email); -- want: add-unique-constraint "the UNIQUE constraint users_email_key builds its index on users while holding ACCESS EXCLUSIVE"
ALTER TABLE users ADD UNIQUE (handle, tenant_id); -- want: add-unique-constraint "users_handle_tenant_id_key"
ALTER TABLE users ADD COLUMN token text UNIQUE; -- want: add-unique-constraint "ADD COLUMN token ... UNIQUE builds the unique index users_token_key"

-- Other constraints are other rules' business.
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '') NOT VALID;

-- A table created in this file has no readers.
CREATE TABLE teams (id bigint PRIMARY KEY, slug text);
ALTER TABLE teams ADD CONSTRAINT teams_slug_key UNIQUE (slug);
ALTER TABLE teams ADD COLUMN code text UNIQUE;
