SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN total TYPE numeric(20,4); -- want: change-column-type "not in the linted history"
CREATE TABLE fresh (id int);
ALTER TABLE fresh ALTER COLUMN id TYPE bigint;
