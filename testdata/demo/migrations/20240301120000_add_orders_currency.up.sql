-- A constant default is instant since PostgreSQL 11.
SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR';
