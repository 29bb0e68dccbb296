CREATE TABLE users (
  id integer PRIMARY KEY,
  email varchar(50) NOT NULL,
  name varchar(100),
  balance numeric(10,2),
  seen timestamp,
  net cidr
);
