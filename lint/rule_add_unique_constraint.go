package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddUniqueConstraint = &Rule{
	ID:       "add-unique-constraint",
	Severity: Error,
	Summary:  "ADD UNIQUE builds its index under ACCESS EXCLUSIVE on a table in use",
	Doc: `ADD CONSTRAINT ... UNIQUE (and ADD COLUMN ... UNIQUE) on an existing table builds a unique index
while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build, a full scan and sort
of the table. Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (SHARE UPDATE
EXCLUSIVE; it cannot run in a transaction block, so under golang-migrate it is alone in its file),
check that it is valid, then attach it with ADD CONSTRAINT ... UNIQUE USING INDEX, which only
changes the catalog. When the replayed history already has a suitable unique index, the fix
uses it. Both forms fail if the data has duplicates, and both reject the old release's
duplicate inserts from then on. Tables created by the same file or an unreleased one are not
flagged.`,
	Check: func(p *Pass) {
		at, cmds, t := lockAlter(p)
		for _, cmd := range cmds {
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddConstraint:
				con := cmd.Def.GetConstraint()
				if con == nil || con.Contype != pg.ConstrType_CONSTR_UNIQUE || con.Indexname != "" {
					continue
				}
				cols := ConstraintColumns(con)
				name := constraintNameOf(at.Relation, con, cols)
				p.ReportAt(con.Location, uniqueFinding(p, at, t, con, name, cols, ""))
			case pg.AlterTableType_AT_AddColumn:
				cd := cmd.Def.GetColumnDef()
				if cd == nil {
					continue
				}
				for _, cn := range cd.Constraints {
					con := cn.GetConstraint()
					if con == nil || con.Contype != pg.ConstrType_CONSTR_UNIQUE {
						continue
					}
					cols := []string{cd.Colname}
					name := constraintNameOf(at.Relation, con, cols)
					bare := cloneCmd(cmd)
					bcd := bare.Def.GetColumnDef()
					var kept []*pg.Node
					for _, k := range bcd.Constraints {
						if k.GetConstraint().GetContype() != pg.ConstrType_CONSTR_UNIQUE {
							kept = append(kept, k)
						}
					}
					bcd.Constraints = kept
					f := uniqueFinding(p, at, t, con, name, cols, alterSQL(at, bare))
					f.Message = fmt.Sprintf("ADD COLUMN %s ... UNIQUE builds the unique index %s on %s while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build", cd.Colname, name, Name(at.Relation))
					p.ReportAt(con.Location, f)
				}
			}
		}
	},
}

// uniqueFinding builds the finding and fix for a UNIQUE constraint without
// USING INDEX; addColumn is the ADD COLUMN to run first, if any.
func uniqueFinding(p *Pass, at *pg.AlterTableStmt, t *Table, con *pg.Constraint, name string, cols []string, addColumn string) Finding {
	table := Name(at.Relation)
	f := Finding{
		Message: fmt.Sprintf("the UNIQUE constraint %s builds its index on %s while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build", name, table),
		Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
		Cost:    Scan,
		Breaks:  BreaksAvailability,
	}
	if ix := uniqueIndexOn(p.Catalog, t, cols); ix != nil && addColumn == "" {
		f.Message += fmt.Sprintf("; the unique index %s (%s) already exists: attach it instead", ix.Name, originOrUnknown(ix.Origin))
		f.Fix = "-- instant (check first that the index is valid: SELECT indisvalid FROM pg_index WHERE indexrelid = '" +
			relSQL(qualify(ix.Schema, ix.Name)) + "'::regclass)\n" + usingIndexSQL(at, pg.ConstrType_CONSTR_UNIQUE, name, ix.Name, con)
		return f
	}
	fix := ""
	if addColumn != "" {
		fix = "-- 1: the column alone (instant)\n" + addColumn + "\n"
	}
	fix += aloneNote(p) + "-- builds the index without blocking reads or writes\n" + uniqueIndexSQL(at.Relation, name, cols, con) +
		"\n" + laterFileNote + "-- instant once the index is valid (SELECT indisvalid FROM pg_index WHERE indexrelid = '" + identSQL(name) + "'::regclass)\n" +
		usingIndexSQL(at, pg.ConstrType_CONSTR_UNIQUE, name, name, con)
	f.Fix = fix
	return f
}

// originOrUnknown says where an object was created.
func originOrUnknown(o Origin) string {
	if o.File == "" {
		return "outside the linted history"
	}
	return fmt.Sprintf("created at %s:%d", o.File, o.Line)
}
