CREATE DOMAIN zip AS text;
CREATE TABLE customers (id bigint PRIMARY KEY, zip zip);
CREATE TABLE shops (id bigint PRIMARY KEY, postcode zip NOT NULL);
CREATE DOMAIN unused AS int;
