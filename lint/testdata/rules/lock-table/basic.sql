SET lock_timeout = '2s';
LOCK TABLE orders; -- want: lock-table "LOCK TABLE orders takes ACCESS EXCLUSIVE, blocking its reads and writes until the transaction ends, through the statement after it"
UPDATE orders SET status = 'open' WHERE id BETWEEN 1 AND 1000;
