CREATE TABLE customers (
  name varchar(100) NOT NULL, -- want: prefer-text-over-varchar "customers.name is varchar\(100\): text with CHECK \(char_length\(name\) <= 100\)"
  note varchar,
  bio text
);
ALTER TABLE customers ADD COLUMN code character varying(10); -- want: prefer-text-over-varchar "customers.code is varchar\(10\)"
ALTER TABLE customers ALTER COLUMN note TYPE varchar(20); -- want: prefer-text-over-varchar "customers.note"
ALTER TABLE customers ALTER COLUMN name TYPE text;
