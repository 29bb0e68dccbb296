-- golang-migrate's default mode runs this file as one transaction: atomic.
CREATE TABLE a (id bigint PRIMARY KEY);
DROP TABLE b;
ALTER TABLE c ADD COLUMN d text;
