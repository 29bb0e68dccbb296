-- test: pg=13
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid(); -- want: add-column-volatile-default "gen_random_uuid"
