-- test: pg=13
SET lock_timeout = '2s';
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_row(); -- want: create-trigger "CREATE OR REPLACE TRIGGER needs PostgreSQL 14"
CREATE TRIGGER orders_audit_insert AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_row(); -- want: create-trigger "bounded by lock_timeout"
