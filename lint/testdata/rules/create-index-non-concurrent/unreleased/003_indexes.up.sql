SET lock_timeout = '2s';
-- orders comes from 002, which is not released yet (new since the base): no traffic.
CREATE INDEX orders_user_idx ON orders (user_id);
-- users comes from 001, released: it has traffic.
CREATE INDEX users_email_idx ON users (email); -- want: create-index-non-concurrent
