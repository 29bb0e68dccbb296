CREATE TABLE users (
  id bigint PRIMARY KEY,
  email text UNIQUE,
  age int CONSTRAINT users_age_check CHECK (age > 0)
);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
