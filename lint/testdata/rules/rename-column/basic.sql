SET lock_timeout = '2s';
ALTER TABLE users RENAME COLUMN email TO email_address; -- want: rename-column "renaming users.email to email_address breaks the old release, which still uses email"
ALTER VIEW active_users RENAME COLUMN name TO full_name; -- want: rename-column "active_users.name"
-- A column of a table created by the same file has no readers.
CREATE TABLE drafts (id bigint PRIMARY KEY, titel text);
ALTER TABLE drafts RENAME COLUMN titel TO title;
-- Renaming the table is rename-table's business.
ALTER TABLE drafts RENAME TO draft_posts;
