CREATE TABLE users (id bigint PRIMARY KEY, plan text NOT NULL DEFAULT 'free');
