BEGIN; -- want: transaction-nesting "the COMMIT at line 3 splits it: the statements after it, from line 4"
ALTER TABLE users ADD COLUMN a text;
COMMIT;
UPDATE users SET a = 'x' WHERE id = 1;
