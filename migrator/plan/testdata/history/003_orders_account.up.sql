SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN account_id integer;
