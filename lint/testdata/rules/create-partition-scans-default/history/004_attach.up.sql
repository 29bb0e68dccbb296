SET lock_timeout = '2s';
ALTER TABLE orders ATTACH PARTITION orders_apac FOR VALUES IN ('apac');
ALTER TABLE orders_other DROP CONSTRAINT orders_other_not_orders_apac;
