-- golang-migrate sends this file as one query string: one transaction.
ALTER TYPE mood ADD VALUE 'happy';
UPDATE users SET mood = 'happy' WHERE id = 1; -- want: add-enum-value-in-transaction "'happy' was added to enum mood at line 2 in the same transaction"
SELECT 'happy'::mood; -- want: add-enum-value-in-transaction "'happy'"
SELECT 'happy'::text;
SELECT 'happy';
