-- test: runner=multi-statement
BEGIN;
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm';
INSERT INTO users (id, mood) VALUES (1, 'calm'); -- want: add-enum-value-in-transaction "'calm'"
COMMIT;
-- committed: usable now
UPDATE users SET mood = 'calm' WHERE id = 2;
