package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleRenameColumn = &Rule{
	ID:       "rename-column",
	Severity: Error,
	Summary:  "RENAME COLUMN breaks the release that still uses the old name",
	Doc: `A rename is instant (ACCESS EXCLUSIVE for a moment) but there is no moment at which it is safe:
the old release, still serving traffic while the deploy rolls out, names the old column and fails
from the moment the rename commits; a new release that names the new column fails until it has.
No code can work with both names. The safe sequence adds the new column, keeps both in sync with a
trigger, backfills, switches the code, and drops the old column in a later release
("lockstep plan rename-column table.old table.new" writes those files). A column added by the same
file or by an unreleased one (added in this release) has no readers and may be renamed freely.`,
	Check: func(p *Pass) {
		rs := p.Node().GetRenameStmt()
		if rs == nil || rs.RenameType != pg.ObjectType_OBJECT_COLUMN || !p.Existing(rs.Relation) {
			return
		}
		t := p.Catalog.Table(rs.Relation)
		col := t.Column(rs.Subname)
		if col != nil && !p.HasReaders(col.Origin) {
			return // added in this release
		}
		table := Name(rs.Relation)
		fix := renameColumnFix(table, rs.Relation.Relname, rs.Subname, rs.Newname, col)
		if rs.RelationType == pg.ObjectType_OBJECT_VIEW || rs.RelationType == pg.ObjectType_OBJECT_MATVIEW {
			fix = fmt.Sprintf(`-- expand (this release): expose the column under both names; CREATE OR REPLACE VIEW may only add columns at the end
CREATE OR REPLACE VIEW %[1]s AS SELECT <its current columns>, %[2]s AS %[3]s FROM <its query>;
-- contract (a later release, once none before it reads %[2]s): recreate the view without %[2]s`, table, rs.Subname, rs.Newname)
		}
		p.Report(Finding{
			Message: fmt.Sprintf("renaming %s.%s to %s breaks the old release, which still uses %s while the deploy runs, and no code can work with both names",
				table, rs.Subname, rs.Newname, rs.Subname),
			Lock:   p.LockOn(QualifiedName(rs.Relation)),
			Breaks: BreaksBoth,
			Fix:    fix,
		})
	},
}

func renameColumnFix(table, rel, old, nw string, col *Column) string {
	typ := "<type of " + old + ">"
	if col != nil && col.Type.Name != "" {
		t := col.Type
		t.Serial = false
		typ = t.String()
	}
	fn := rel + "_" + old + "_sync"
	return fmt.Sprintf(`-- lockstep plan rename-column %[1]s.%[2]s %[1]s.%[3]s writes these files:
-- expand (this release): the new column, kept in sync with the old one by a trigger
ALTER TABLE %[1]s ADD COLUMN %[3]s %[4]s;
CREATE FUNCTION %[5]s() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.%[3]s := COALESCE(NEW.%[3]s, NEW.%[2]s);
    NEW.%[2]s := COALESCE(NEW.%[2]s, NEW.%[3]s);
  ELSIF NEW.%[2]s IS DISTINCT FROM OLD.%[2]s THEN
    NEW.%[3]s := NEW.%[2]s;
  ELSIF NEW.%[3]s IS DISTINCT FROM OLD.%[3]s THEN
    NEW.%[2]s := NEW.%[3]s;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER %[5]s BEFORE INSERT OR UPDATE ON %[1]s FOR EACH ROW EXECUTE FUNCTION %[5]s();
-- backfill (batched): -- lockstep:batch key=id size=5000
UPDATE %[1]s SET %[3]s = %[2]s WHERE %[3]s IS DISTINCT FROM %[2]s;
-- this release reads and writes %[3]s; contract (a later release, once none before it runs):
DROP TRIGGER %[5]s ON %[1]s;
DROP FUNCTION %[5]s();
ALTER TABLE %[1]s DROP COLUMN %[2]s;`, table, old, nw, typ, fn)
}
