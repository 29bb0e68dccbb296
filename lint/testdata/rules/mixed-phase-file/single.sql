SET lock_timeout = '2s';
CREATE TABLE audit (id bigint PRIMARY KEY);
INSERT INTO audit (id) VALUES (1);
ALTER TABLE users ADD COLUMN note text;
