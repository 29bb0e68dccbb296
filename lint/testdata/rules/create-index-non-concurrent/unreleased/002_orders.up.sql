-- test: new=002,003
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
