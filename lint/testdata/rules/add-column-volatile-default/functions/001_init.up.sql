CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE FUNCTION default_region() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'eu' $$;
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT md5(random()::text) $$;
CREATE SEQUENCE tickets_seq;
