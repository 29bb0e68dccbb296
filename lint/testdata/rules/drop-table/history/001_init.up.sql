CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
CREATE TABLE accounts (id bigint PRIMARY KEY);
CREATE TABLE sessions (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
