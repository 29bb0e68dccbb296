SET lock_timeout = '2s';
TRUNCATE orders; -- want: truncate "TRUNCATE deletes every row of orders, which the running release reads, under ACCESS EXCLUSIVE$"
TRUNCATE TABLE carts, cart_items RESTART IDENTITY; -- want: truncate "every row of carts and cart_items"
TRUNCATE sessions CASCADE; -- want: truncate "CASCADE also empties every table with a foreign key to it \(none in the linted history\)"

-- A table created in this file has no readers.
CREATE TABLE import_staging (id bigint PRIMARY KEY, payload jsonb);
TRUNCATE import_staging;
