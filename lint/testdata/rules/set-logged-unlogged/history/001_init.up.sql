CREATE UNLOGGED TABLE page_cache (key text PRIMARY KEY, body text);
CREATE TABLE accounts (id bigint PRIMARY KEY, name text);
