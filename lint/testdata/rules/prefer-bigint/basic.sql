CREATE TABLE accounts (
  id serial PRIMARY KEY, -- want: prefer-bigint "accounts.id is serial: it fails every insert once it passes 2,147,483,647"
  owner_id integer, -- want: prefer-bigint "accounts.owner_id is integer, which tops out at 2,147,483,647"
  seats smallint, -- want: prefer-bigint "accounts.seats is smallint, which tops out at 32,767"
  balance bigint,
  tags int[] -- want: prefer-bigint "accounts.tags is integer\[\]"
);
CREATE TABLE things (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY); -- want: prefer-bigint "things.id is integer: it fails every insert"
CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b)); -- want: prefer-bigint "pairs.a is integer: it fails"
ALTER TABLE accounts ADD COLUMN level int; -- want: prefer-bigint "accounts.level"
-- a type change is change-column-type's business
ALTER TABLE accounts ALTER COLUMN balance TYPE int;
CREATE TABLE ok (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n numeric);
