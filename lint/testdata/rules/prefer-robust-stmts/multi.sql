-- test: runner=multi-statement
SET lock_timeout = '2s';
CREATE TABLE audit (id bigint PRIMARY KEY); -- want: prefer-robust-stmts "CREATE TABLE runs in autocommit .*re-running the file fails here because audit then exists"
CREATE TABLE IF NOT EXISTS audit_archive (id bigint PRIMARY KEY);
ALTER TABLE users ADD COLUMN nick text; -- want: prefer-robust-stmts "column nick then exists"
ALTER TABLE users ADD COLUMN IF NOT EXISTS bio text;
ALTER TABLE users ADD CONSTRAINT users_nick_check CHECK (nick <> '') NOT VALID; -- want: prefer-robust-stmts "constraint users_nick_check then exists"
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_old_check, ADD CONSTRAINT users_old_check CHECK (bio <> '') NOT VALID;
CREATE OR REPLACE VIEW active_users AS SELECT * FROM users;
CREATE TYPE mood AS ENUM ('ok'); -- want: prefer-robust-stmts "CREATE TYPE has no IF NOT EXISTS"
ALTER TYPE mood ADD VALUE 'good'; -- want: prefer-robust-stmts "'good' then exists"
DROP TABLE IF EXISTS old_audit;
DROP INDEX users_old_idx; -- want: prefer-robust-stmts "users_old_idx is then gone"
BEGIN;
-- inside BEGIN ... COMMIT: atomic
CREATE TABLE inside_tx (id bigint PRIMARY KEY);
COMMIT;
-- the last statement that can fail: if it fails, nothing of it is left
CREATE TABLE last_one (id bigint PRIMARY KEY);
