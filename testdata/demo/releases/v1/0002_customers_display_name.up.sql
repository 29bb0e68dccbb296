-- lockstep:phase expand
-- Release v1 renames customers.fullname to display_name without breaking v0,
-- which keeps running during the deploy and after a rollback.
-- Expand: the new column, and a trigger that keeps both columns equal
-- whichever release writes.
SET lock_timeout = '2s';

ALTER TABLE customers ADD COLUMN display_name text;

CREATE FUNCTION customers_sync_display_name() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.display_name := coalesce(NEW.display_name, NEW.fullname);
    NEW.fullname := coalesce(NEW.fullname, NEW.display_name);
  ELSIF NEW.display_name IS DISTINCT FROM OLD.display_name THEN
    NEW.fullname := NEW.display_name;
  ELSIF NEW.fullname IS DISTINCT FROM OLD.fullname THEN
    NEW.display_name := NEW.fullname;
  END IF;
  RETURN NEW;
END
$fn$;

CREATE TRIGGER customers_sync_display_name
  BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION customers_sync_display_name();
