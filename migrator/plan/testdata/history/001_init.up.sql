CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL DEFAULT '',
  nick varchar(40),
  status text,
  created_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT users_name_length CHECK (length(name) < 200)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_name_idx ON users (name) WHERE name <> '';

CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint,
  amount integer NOT NULL,
  note text,
  code text UNIQUE
);
