CREATE TABLE items (id bigint PRIMARY KEY, price_cents bigint NOT NULL, quantity int NOT NULL);
