CREATE UNIQUE INDEX CONCURRENTLY carts_code_idx ON carts (code);
