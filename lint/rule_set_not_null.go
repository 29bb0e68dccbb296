package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleSetNotNull = &Rule{
	ID:       "set-not-null",
	Severity: Error,
	Summary:  "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE, and fails the old release's inserts of NULL",
	Doc: `ALTER COLUMN ... SET NOT NULL takes ACCESS EXCLUSIVE and scans every row to prove there is no
NULL: reads and writes wait for the whole scan. From PostgreSQL 12 the scan is skipped when a
validated CHECK (col IS NOT NULL) constraint exists, so the safe sequence is: add the CHECK
NOT VALID (instant), backfill, VALIDATE it in a later file (SHARE UPDATE EXCLUSIVE: traffic goes
on), then SET NOT NULL (instant) and drop the CHECK. lockstep replays the history and knows when
that CHECK exists and is validated. Independently, the old release may still insert rows without
the column: they fail once the column is NOT NULL, so give it a default first, or make sure the
old release always writes it.`,
	Check: func(p *Pass) {
		at := p.Node().GetAlterTableStmt()
		if at == nil || at.Objtype != pg.ObjectType_OBJECT_TABLE || !p.Existing(at.Relation) {
			return
		}
		table := p.Catalog.Table(at.Relation)
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil || cmd.Subtype != pg.AlterTableType_AT_SetNotNull {
				continue
			}
			col := table.Column(cmd.Name)
			name := Name(at.Relation) + "." + cmd.Name
			if col != nil && col.NotNull {
				continue // already NOT NULL: PostgreSQL does nothing
			}
			if table.HasValidNotNullCheck(cmd.Name) && p.PGVersion() >= 12 {
				if col == nil || col.Default != nil || p.HasReaders(col.Origin) {
					continue // proven by the CHECK: no scan; the old release already writes the column
				}
			}
			f := Finding{
				Message: fmt.Sprintf("SET NOT NULL on %s scans the whole table under ACCESS EXCLUSIVE, and fails any insert of the old release that leaves it NULL", name),
				Lock:    p.LockOn(QualifiedName(at.Relation)),
				Cost:    Scan,
				Breaks:  BreaksOld,
				Fix:     setNotNullFix(at.Relation, cmd.Name),
			}
			if col != nil && !p.HasReaders(col.Origin) {
				// Added by this release: the old release never writes it.
				if col.Default != nil {
					f.Breaks = BreaksAvailability
					f.Message = fmt.Sprintf("SET NOT NULL on %s scans the whole table under ACCESS EXCLUSIVE (the old release's inserts get its default)", name)
				} else {
					f.Message = fmt.Sprintf("SET NOT NULL on %s scans the whole table under ACCESS EXCLUSIVE, and fails every insert of the old release, which does not know %s and leaves it NULL", name, cmd.Name)
				}
			}
			for _, ct := range tableConstraints(table) {
				if ct.Kind == Check && ct.NotNullOf == cmd.Name && !ct.Valid {
					f.Message += fmt.Sprintf(" (the CHECK %s is still NOT VALID: VALIDATE it in an earlier file)", ct.Name)
				}
			}
			p.ReportAt(-1, f)
		}
	},
}

func tableConstraints(t *Table) []*Constraint {
	if t == nil {
		return nil
	}
	return t.Constraints
}

func setNotNullFix(rv *pg.RangeVar, col string) string {
	t := Name(rv)
	con := rv.Relname + "_" + col + "_not_null"
	return fmt.Sprintf(`-- lockstep plan set-not-null %s.%s writes these files:
-- 1 (expand): instant, binds new rows only
ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;
-- 2 (backfill): fill the NULLs in batches
-- 3 (a later file): scans without blocking reads or writes
ALTER TABLE %s VALIDATE CONSTRAINT %s;
-- 4 (contract): instant, the validated CHECK proves it
ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;
ALTER TABLE %s DROP CONSTRAINT %s;`, t, col, t, con, col, t, con, t, col, t, con)
}
