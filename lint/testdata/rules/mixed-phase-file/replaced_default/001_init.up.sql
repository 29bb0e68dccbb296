CREATE TABLE users (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'active', plan text NOT NULL DEFAULT 'free');
