CREATE TABLE accounts (name text NOT NULL);
