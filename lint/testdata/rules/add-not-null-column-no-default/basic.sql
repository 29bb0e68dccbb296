SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN status text NOT NULL; -- want: add-not-null-column-no-default "adding users.status NOT NULL without a default fails if users has any row"
ALTER TABLE users ADD COLUMN code text PRIMARY KEY; -- want: add-not-null-column-no-default "PRIMARY KEY \(so NOT NULL\)"
ALTER TABLE users ADD COLUMN region text DEFAULT NULL NOT NULL; -- want: add-not-null-column-no-default "users.region"
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
ALTER TABLE users ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE users ADD COLUMN n bigserial;
ALTER TABLE users ADD COLUMN total_cents bigint GENERATED ALWAYS AS (0) STORED NOT NULL;
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int NOT NULL; -- want: add-not-null-column-no-default "users.b"
-- A table created by the same file is empty and has no old release.
CREATE TABLE fresh (id bigint PRIMARY KEY);
ALTER TABLE fresh ADD COLUMN name text NOT NULL;
