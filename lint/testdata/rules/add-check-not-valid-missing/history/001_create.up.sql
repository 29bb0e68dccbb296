CREATE TABLE invoices (id bigint PRIMARY KEY, amount integer NOT NULL);
