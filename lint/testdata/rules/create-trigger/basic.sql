CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END
$$;
CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit_row(); -- want: create-trigger "CREATE TRIGGER orders_audit takes SHARE ROW EXCLUSIVE on orders: writes to it queue"

-- A table created in the same file has no traffic yet.
CREATE TABLE imports (id bigint PRIMARY KEY);
CREATE TRIGGER imports_audit AFTER INSERT ON imports FOR EACH ROW EXECUTE FUNCTION audit_row();
-- as a view has no rows.
CREATE VIEW recent_orders AS SELECT 1 AS id;
CREATE TRIGGER recent_orders_insert INSTEAD OF INSERT ON recent_orders FOR EACH ROW EXECUTE FUNCTION audit_row();
