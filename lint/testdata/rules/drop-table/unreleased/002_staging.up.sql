-- test: new=002,003
CREATE TABLE invoice_staging (id bigint PRIMARY KEY);
