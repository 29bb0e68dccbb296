CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
CREATE TABLE payments (id bigint PRIMARY KEY, invoice_id bigint REFERENCES invoices (id));
