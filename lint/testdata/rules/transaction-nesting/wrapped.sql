SET lock_timeout = '2s';
BEGIN; -- want: transaction-nesting "golang-migrate already runs this file of 4 statements as one transaction .*redundant"
ALTER TABLE users ADD COLUMN a text;
COMMIT;
