CREATE TABLE accounts (id bigint PRIMARY KEY, tier text NOT NULL DEFAULT 'basic');
