CREATE TYPE status AS ENUM ('active', 'gone');
CREATE TABLE users (id bigint PRIMARY KEY, status status NOT NULL);
