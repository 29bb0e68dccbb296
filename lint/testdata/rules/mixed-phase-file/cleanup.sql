SET lock_timeout = '2s';
-- dropping what the same file created is no phase of its own
CREATE TABLE import_tmp (id bigint PRIMARY KEY);
ALTER TABLE users ADD COLUMN tmp text;
ALTER TABLE users DROP COLUMN tmp;
DROP TABLE import_tmp;
