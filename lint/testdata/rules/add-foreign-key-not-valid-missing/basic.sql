SET lock_timeout = '2s';
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id); -- want: add-foreign-key-not-valid-missing "the foreign key orders_user_fk checks every row of orders while holding SHARE ROW EXCLUSIVE on orders and users"
ALTER TABLE orders ADD FOREIGN KEY (shop_id) REFERENCES shops; -- want: add-foreign-key-not-valid-missing "orders_shop_id_fkey"
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id); -- want: add-foreign-key-not-valid-missing "ADD COLUMN coupon_id ... REFERENCES coupons"

-- NOT VALID: instant, binds new rows only.
ALTER TABLE orders ADD CONSTRAINT orders_cart_fk FOREIGN KEY (cart_id) REFERENCES carts (id) NOT VALID;

-- A table created in this file has no rows to check.
CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));
ALTER TABLE refunds ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);

-- The referenced table is new, but the rows of orders are still checked.
CREATE TABLE regions (id bigint PRIMARY KEY);
ALTER TABLE orders ADD CONSTRAINT orders_region_fk FOREIGN KEY (region_id) REFERENCES regions (id); -- want: add-foreign-key-not-valid-missing "regions is new, but the rows of orders are still checked"
