-- REFERENCES users takes SHARE ROW EXCLUSIVE on users: bound the wait.
SET lock_timeout = '2s';
CREATE TABLE orders (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id),
  status      text NOT NULL DEFAULT 'pending',
  total_cents bigint NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
