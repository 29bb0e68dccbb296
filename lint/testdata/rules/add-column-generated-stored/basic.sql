SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN email_key text GENERATED ALWAYS AS (lower(email)) STORED; -- want: add-column-generated-stored "adding the stored generated column orders.email_key computes lower\(email\) for every row: PostgreSQL rewrites orders"
ALTER TABLE orders ADD COLUMN note text, ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(note, ''))) STORED; -- want: add-column-generated-stored "orders.search"
-- A plain column is instant; computing it is the backfill's job.
ALTER TABLE orders ADD COLUMN total bigint;
-- A table created by the same file has no rows.
CREATE TABLE carts (id bigint PRIMARY KEY, a int, b int);
ALTER TABLE carts ADD COLUMN c int GENERATED ALWAYS AS (a + b) STORED;
CREATE TABLE baskets (id bigint PRIMARY KEY, a int, b int, c int GENERATED ALWAYS AS (a + b) STORED);
