ALTER TABLE users ADD COLUMN a text;
COMMIT; -- want: transaction-nesting "COMMIT without BEGIN: golang-migrate runs this file as one transaction"
ALTER TABLE users ADD COLUMN b text;
ROLLBACK; -- want: transaction-nesting "ROLLBACK without BEGIN discards every statement before it"
