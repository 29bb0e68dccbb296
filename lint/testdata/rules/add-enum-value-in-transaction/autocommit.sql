-- test: runner=multi-statement
-- Each statement commits on its own: the value is usable by the next one.
ALTER TYPE mood ADD VALUE 'sleepy';
UPDATE users SET mood = 'sleepy' WHERE id = 1;
