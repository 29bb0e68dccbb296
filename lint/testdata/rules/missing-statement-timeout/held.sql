SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text;
-- golang-migrate runs the file as one transaction: the UPDATE runs while users stays locked.
UPDATE orders SET status = 'open' WHERE status IS NULL; -- want: missing-statement-timeout "UPDATE scans orders while the transaction holds ACCESS EXCLUSIVE on users since line 2"
