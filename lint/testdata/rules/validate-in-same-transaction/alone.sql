-- Its own file: the right place.
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
