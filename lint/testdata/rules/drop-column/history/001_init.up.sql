CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text, nick text);
CREATE INDEX users_legacy_idx ON users (legacy);
