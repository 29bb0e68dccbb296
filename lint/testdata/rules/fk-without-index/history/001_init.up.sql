CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);
CREATE INDEX invoices_user_id_idx ON invoices (user_id);
CREATE TABLE payments (id bigint PRIMARY KEY, user_id bigint);
