CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE accounts (id bigint PRIMARY KEY, name text, CONSTRAINT accounts_name_key UNIQUE (name));
CREATE TABLE measurements (at timestamptz NOT NULL, v float8) PARTITION BY RANGE (at);
CREATE INDEX measurements_at_idx ON measurements (at);
