package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddPrimaryKey = &Rule{
	ID:       "add-primary-key",
	Severity: Error,
	Summary:  "ADD PRIMARY KEY builds its index, and scans for NULLs, under ACCESS EXCLUSIVE on a table in use",
	Doc: `ADD PRIMARY KEY on an existing table takes ACCESS EXCLUSIVE and builds a unique index (a full scan
and sort) while reads and writes wait; every key column that is not already NOT NULL is also set
NOT NULL, which scans the table again. USING INDEX skips the build, but not that scan: columns
that may hold NULL are still checked under ACCESS EXCLUSIVE, unless (PostgreSQL 12 and later) a
validated CHECK (col IS NOT NULL) proves them. The safe sequence: CHECK ... NOT VALID for each
nullable key column, VALIDATE in a later file, CREATE UNIQUE INDEX CONCURRENTLY in a file of its
own, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX, which is catalog-only. lockstep replays the
history, so it knows which columns are NOT NULL or proven by a validated CHECK, and whether a
suitable unique index exists. Tables created by the same file or an unreleased one are not
flagged.`,
	Check: func(p *Pass) {
		at, cmds, t := lockAlter(p)
		for _, cmd := range cmds {
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddConstraint:
				con := cmd.Def.GetConstraint()
				if con == nil || con.Contype != pg.ConstrType_CONSTR_PRIMARY {
					continue
				}
				if con.Indexname != "" {
					pkUsingIndex(p, at, t, con)
					continue
				}
				cols := ConstraintColumns(con)
				pkReport(p, at, t, con, cols, nil)
			case pg.AlterTableType_AT_AddColumn:
				cd := cmd.Def.GetColumnDef()
				if cd == nil {
					continue
				}
				for _, cn := range cd.Constraints {
					if con := cn.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_PRIMARY {
						pkReport(p, at, t, con, []string{cd.Colname}, cd)
					}
				}
			}
		}
	},
}

// pkReport reports ADD PRIMARY KEY without USING INDEX; cd is set for
// ADD COLUMN ... PRIMARY KEY.
func pkReport(p *Pass, at *pg.AlterTableStmt, t *Table, con *pg.Constraint, cols []string, cd *pg.ColumnDef) {
	table := Name(at.Relation)
	name := constraintNameOf(at.Relation, con, cols)
	var nullable, unknown []string
	col := ""
	cost := Scan
	if cd == nil {
		nullable, unknown = nullableColumns(t, cols)
	} else {
		col = cd.Colname
	}
	msg := fmt.Sprintf("ADD PRIMARY KEY on %s builds its unique index while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build", table)
	if cd != nil {
		msg = fmt.Sprintf("ADD COLUMN %s ... PRIMARY KEY builds the key's unique index on %s while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build", col, table)
		if fillsRows(cd) {
			// Each row gets its own value (nextval): the table is rewritten.
			cost = Rewrite
			msg = fmt.Sprintf("ADD COLUMN %s ... PRIMARY KEY rewrites %s to fill the column and builds the key's unique index while holding ACCESS EXCLUSIVE: reads and writes wait for both", col, table)
		}
	}
	if len(nullable) > 0 {
		msg += fmt.Sprintf(", then scans again to set %s NOT NULL", joinNames(nullable))
	}
	if len(unknown) > 0 {
		msg += fmt.Sprintf(", and scans again if %s may hold NULL (lockstep does not know)", joinNames(unknown))
	}
	nullable = append(nullable, unknown...)
	var steps []string
	if col != "" {
		steps = append(steps, fmt.Sprintf("-- add %s without PRIMARY KEY and fill it first (see add-column-serial for a sequence default); then:", col))
		nullable = []string{col}
	}
	if len(nullable) > 0 {
		add, validate := notNullSteps(at.Relation, nullable)
		steps = append(steps, "-- instant: proves NOT NULL for new rows\n"+add,
			laterFileNote+"-- scans under SHARE UPDATE EXCLUSIVE: reads and writes go on\n"+validate)
	}
	index, attach := name, ""
	if ix := uniqueIndexOn(p.Catalog, t, cols); ix != nil && col == "" {
		index = ix.Name
		msg += fmt.Sprintf("; the unique index %s (%s) already exists: attach it instead", ix.Name, originOrUnknown(ix.Origin))
	} else {
		steps = append(steps, aloneNote(p)+"-- builds the index without blocking reads or writes\n"+uniqueIndexSQL(at.Relation, name, cols, con))
		attach = laterFileNote
	}
	steps = append(steps, attach+"-- instant once the index is valid and the columns are proven NOT NULL\n"+
		usingIndexSQL(at, pg.ConstrType_CONSTR_PRIMARY, name, index, con))
	p.ReportAt(con.Location, Finding{
		Message: msg,
		Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
		Cost:    cost,
		Breaks:  BreaksAvailability,
		Fix:     strings.Join(steps, "\n"),
	})
}

// pkUsingIndex reports ADD PRIMARY KEY USING INDEX when a key column may
// hold NULL: the implicit SET NOT NULL scans the table.
func pkUsingIndex(p *Pass, at *pg.AlterTableStmt, t *Table, con *pg.Constraint) {
	ix := p.Catalog.Index(schemaOf(at.Relation), con.Indexname)
	if ix == nil {
		if t == nil || !t.Known {
			p.ReportAt(con.Location, Finding{
				Severity: Warning,
				Message:  fmt.Sprintf("ADD PRIMARY KEY USING INDEX %s: lockstep does not know the index or whether its columns are NOT NULL (not in the linted history); any that may hold NULL is scanned under ACCESS EXCLUSIVE on %s", con.Indexname, Name(at.Relation)),
				Lock:     Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
				Cost:     Scan,
				Breaks:   BreaksAvailability,
				Fix:      "-- make each key column provably NOT NULL first, e.g.\nALTER TABLE " + rvSQL(at.Relation) + " ADD CONSTRAINT <table>_<col>_not_null CHECK (<col> IS NOT NULL) NOT VALID;\n" + laterFileNote + "ALTER TABLE " + rvSQL(at.Relation) + " VALIDATE CONSTRAINT <table>_<col>_not_null;",
			})
		}
		return
	}
	nullable, unknown := nullableColumns(t, ix.Columns)
	if len(nullable) == 0 && len(unknown) == 0 {
		return
	}
	cols := append(nullable, unknown...)
	add, validate := notNullSteps(at.Relation, cols)
	f := Finding{
		Message: fmt.Sprintf("ADD PRIMARY KEY USING INDEX %s sets %s NOT NULL, which scans %s under ACCESS EXCLUSIVE: no validated CHECK (... IS NOT NULL) proves it", con.Indexname, joinNames(cols), Name(at.Relation)),
		Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
		Cost:    Scan,
		Breaks:  BreaksAvailability,
		Fix: "-- instant: proves NOT NULL for new rows\n" + add + "\n" + laterFileNote +
			"-- scans under SHARE UPDATE EXCLUSIVE: reads and writes go on\n" + validate + "\n" +
			"-- then, instant (the validated CHECK spares the scan):\n" + strings.TrimSpace(p.Stmt.Text()) + ";",
	}
	if len(nullable) == 0 {
		f.Severity = Warning
		f.Message = fmt.Sprintf("ADD PRIMARY KEY USING INDEX %s: lockstep does not know whether %s is NOT NULL; if it may hold NULL it is scanned under ACCESS EXCLUSIVE on %s", con.Indexname, joinNames(unknown), Name(at.Relation))
	}
	p.ReportAt(con.Location, f)
}

// fillsRows reports whether a new column gets a value per row from a
// sequence (identity or serial), which rewrites the table.
func fillsRows(cd *pg.ColumnDef) bool {
	if cd.TypeName != nil && TypeOf(cd.TypeName).Serial {
		return true
	}
	for _, cn := range cd.Constraints {
		if cn.GetConstraint().GetContype() == pg.ConstrType_CONSTR_IDENTITY {
			return true
		}
	}
	return false
}
