CREATE TYPE status AS ENUM ('active');
CREATE TABLE accounts (id bigint PRIMARY KEY, status status NOT NULL DEFAULT 'active', label text);
