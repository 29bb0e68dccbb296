ALTER TYPE status ADD VALUE 'closed';
-- label is text: 'closed' stays a string
UPDATE accounts SET label = 'closed' WHERE id = 1;
UPDATE accounts SET status = 'active' WHERE label = 'closed';
UPDATE accounts SET label = 'x' WHERE status = 'closed'; -- want: add-enum-value-in-transaction "'closed' was added to enum status"
ALTER TABLE accounts ALTER COLUMN status SET DEFAULT 'closed'; -- want: add-enum-value-in-transaction "'closed'"
CREATE TABLE archived (id bigint PRIMARY KEY, status status CHECK (status <> 'closed')); -- want: add-enum-value-in-transaction "'closed'"
INSERT INTO accounts VALUES (2, 'closed', 'x'); -- want: add-enum-value-in-transaction "'closed'"
INSERT INTO accounts (id, label) VALUES (3, 'closed');
