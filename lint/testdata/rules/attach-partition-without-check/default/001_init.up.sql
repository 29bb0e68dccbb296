CREATE TABLE orders (id bigint, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
CREATE TABLE orders_other PARTITION OF orders DEFAULT;
CREATE TABLE orders_us (id bigint, region text NOT NULL);
CREATE TABLE orders_apac (id bigint, region text NOT NULL);
CREATE TABLE orders_latam (id bigint, region text NOT NULL);
