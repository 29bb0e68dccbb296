-- test: pg=13
CREATE TYPE mood AS ENUM ('sad');
ALTER TYPE mood ADD VALUE 'happy';
VACUUM users; -- want: concurrent-in-transaction
