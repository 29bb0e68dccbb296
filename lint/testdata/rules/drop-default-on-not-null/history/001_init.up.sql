CREATE TABLE users (
  id bigint PRIMARY KEY,
  status text NOT NULL DEFAULT 'active',
  kind text NOT NULL DEFAULT 'person',
  note text DEFAULT 'none',
  score int NOT NULL
);
