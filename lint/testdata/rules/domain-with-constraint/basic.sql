SET lock_timeout = '2s';
CREATE DOMAIN email AS text CHECK (VALUE ~ '@'); -- want: domain-with-constraint "domain email has a CHECK: adding a column of it to a table in use rewrites that table"
CREATE DOMAIN quantity AS int NOT NULL CHECK (VALUE > 0); -- want: domain-with-constraint "domain quantity has NOT NULL and a CHECK"
CREATE DOMAIN label AS text DEFAULT '';
-- A domain the history did not create: tables in use may have columns of it.
ALTER DOMAIN us_zip ADD CONSTRAINT us_zip_digits CHECK (VALUE ~ '^[0-9]{5}$'); -- want: domain-with-constraint "adding CHECK us_zip_digits to domain us_zip scans every table with a column of us_zip under SHARE"
ALTER DOMAIN us_zip ADD CONSTRAINT us_zip_len CHECK (length(VALUE) = 5) NOT VALID;
ALTER DOMAIN us_zip VALIDATE CONSTRAINT us_zip_len; -- want: domain-with-constraint "validating constraint us_zip_len of domain us_zip scans"
ALTER DOMAIN us_zip SET NOT NULL; -- want: domain-with-constraint "ALTER DOMAIN us_zip SET NOT NULL scans"
ALTER DOMAIN us_zip DROP NOT NULL;
ALTER DOMAIN us_zip DROP CONSTRAINT us_zip_len;
ALTER DOMAIN us_zip SET DEFAULT '00000';
-- Created by this file, used only by a table this file creates: nothing to scan for anyone.
CREATE DOMAIN sku AS text;
CREATE TABLE products (id bigint PRIMARY KEY, code sku);
ALTER DOMAIN sku ADD CONSTRAINT sku_upper CHECK (VALUE = upper(VALUE));
