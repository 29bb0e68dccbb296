package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddForeignKeyNotValidMissing = &Rule{
	ID:       "add-foreign-key-not-valid-missing",
	Severity: Error,
	Summary:  "a foreign key added to a table in use without NOT VALID scans it while blocking writes to both tables",
	Doc: `ADD FOREIGN KEY (and ADD COLUMN ... REFERENCES) on an existing table takes SHARE ROW EXCLUSIVE on
the table and on the table it references, then checks every row: writes to both tables wait
for the whole scan, and in golang-migrate's default mode until the file commits. Added NOT VALID
the constraint only binds new rows and takes its locks for milliseconds; VALIDATE CONSTRAINT in a
later file then checks the old rows under SHARE UPDATE EXCLUSIVE (and ROW SHARE on the
referenced table), which lets reads and writes through. A column constraint cannot say NOT
VALID: add the column, then the constraint. Before PostgreSQL 18 a partitioned table takes no
NOT VALID foreign key: add and validate it on each partition, and the parent's ADD then adopts
the validated constraints without a scan. Tables created by the same file or an unreleased one
are not flagged; one that references a just-created table is, since its own rows are scanned.`,
	Check: func(p *Pass) {
		at, cmds, t := lockAlter(p)
		for _, cmd := range cmds {
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddConstraint:
				con := cmd.Def.GetConstraint()
				if con == nil || con.Contype != pg.ConstrType_CONSTR_FOREIGN || con.SkipValidation {
					continue
				}
				cols := ConstraintColumns(con)
				name := constraintNameOf(at.Relation, con, cols)
				add := cloneCmd(cmd)
				ac := add.Def.GetConstraint()
				ac.SkipValidation, ac.InitiallyValid, ac.Conname = true, false, name
				fkReport(p, at, t, con, name, "", alterSQL(at, add))
			case pg.AlterTableType_AT_AddColumn:
				cd := cmd.Def.GetColumnDef()
				if cd == nil {
					continue
				}
				for _, cn := range cd.Constraints {
					con := cn.GetConstraint()
					if con == nil || con.Contype != pg.ConstrType_CONSTR_FOREIGN {
						continue
					}
					name := constraintNameOf(at.Relation, con, []string{cd.Colname})
					// The column without its REFERENCES, then the constraint NOT VALID.
					bare := cloneCmd(cmd)
					bcd := bare.Def.GetColumnDef()
					var kept []*pg.Node
					for _, k := range bcd.Constraints {
						if k.GetConstraint().GetContype() != pg.ConstrType_CONSTR_FOREIGN {
							kept = append(kept, k)
						}
					}
					bcd.Constraints = kept
					fk := &pg.Constraint{Contype: pg.ConstrType_CONSTR_FOREIGN, Conname: name, Pktable: con.Pktable,
						FkAttrs: []*pg.Node{pg.MakeStrNode(cd.Colname)}, PkAttrs: con.PkAttrs, FkMatchtype: con.FkMatchtype,
						FkUpdAction: con.FkUpdAction, FkDelAction: con.FkDelAction, FkDelSetCols: con.FkDelSetCols,
						Deferrable: con.Deferrable, Initdeferred: con.Initdeferred, SkipValidation: true}
					addFK := &pg.AlterTableCmd{Subtype: pg.AlterTableType_AT_AddConstraint,
						Def: &pg.Node{Node: &pg.Node_Constraint{Constraint: fk}}, Behavior: pg.DropBehavior_DROP_RESTRICT}
					fkReport(p, at, t, con, name, cd.Colname, alterSQL(at, bare, addFK))
				}
			}
		}
	},
}

// fkReport reports one foreign key added without NOT VALID; col is set for
// ADD COLUMN ... REFERENCES.
func fkReport(p *Pass, at *pg.AlterTableStmt, t *Table, con *pg.Constraint, name, col, notValid string) {
	table, ref := Name(at.Relation), Name(con.Pktable)
	refNote := ""
	if !p.Existing(con.Pktable) {
		refNote = fmt.Sprintf(" (%s is new, but the rows of %s are still checked)", ref, table)
	}
	what := fmt.Sprintf("the foreign key %s", name)
	if col != "" {
		what = fmt.Sprintf("ADD COLUMN %s ... REFERENCES %s", col, ref)
	}
	msg := fmt.Sprintf("%s checks every row of %s while holding SHARE ROW EXCLUSIVE on %s and %s: writes to both wait for the whole scan%s; add it NOT VALID and VALIDATE it in a later file",
		what, table, table, ref, refNote)
	validate := fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", rvSQL(at.Relation), identSQL(name))
	fix := fkPlanLine(p, at, con, name, col) + "-- instant: binds new rows only\n" + notValid + "\n" + laterFileNote +
		"-- checks the old rows under SHARE UPDATE EXCLUSIVE: reads and writes go on\n" + validate
	if t != nil && t.Partitioned && p.PGVersion() < 18 {
		msg = fmt.Sprintf("%s checks every row of the partitioned table %s while holding SHARE ROW EXCLUSIVE on it, its partitions and %s, and a partitioned table takes no NOT VALID foreign key before PostgreSQL 18", what, table, ref)
		var steps []string
		cols := ConstraintColumns(con)
		if col != "" {
			cols = []string{col}
		}
		parts := p.Catalog.Partitions(t.Qualified())
		for _, part := range parts {
			pn := identSQL(part.Name + "_" + strings.Join(cols, "_") + "_fkey")
			steps = append(steps, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s NOT VALID;\n%sALTER TABLE %s VALIDATE CONSTRAINT %s;",
				relSQL(part.Qualified()), pn, colsSQL(cols), refSQL(con), laterFileNote, relSQL(part.Qualified()), pn))
		}
		if len(parts) == 0 {
			steps = append(steps, fmt.Sprintf("-- for each partition (SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = '%s'::regclass):\nALTER TABLE <partition> ADD CONSTRAINT <partition>_fkey FOREIGN KEY (%s) REFERENCES %s NOT VALID;\n%sALTER TABLE <partition> VALIDATE CONSTRAINT <partition>_fkey;",
				rvSQL(at.Relation), colsSQL(cols), refSQL(con), laterFileNote))
		}
		fix = "-- on each partition: NOT VALID, then VALIDATE in a later file\n" + strings.Join(steps, "\n") +
			"\n-- then, once every partition has a validated equivalent, the parent adopts them without a scan:\n" + strings.TrimSpace(p.Stmt.Text()) + ";"
	}
	p.ReportAt(con.Location, Finding{
		Message: msg,
		Lock:    p.LockOn(QualifiedName(at.Relation)),
		Cost:    Scan,
		Breaks:  BreaksAvailability,
		Fix:     fix,
	})
}

// fkPlanLine names lockstep plan add-foreign-key when it can write this
// foreign key: one column of the table that exists already, referencing one
// column, with at most an ON DELETE action; "" otherwise.
func fkPlanLine(p *Pass, at *pg.AlterTableStmt, con *pg.Constraint, name, col string) string {
	cols := ConstraintColumns(con)
	if col != "" || len(cols) != 1 || len(con.FkDelSetCols) > 0 || con.Deferrable ||
		(con.FkUpdAction != "" && con.FkUpdAction != "a") || (con.FkMatchtype != "" && con.FkMatchtype != "s") {
		return ""
	}
	var ref string
	switch len(con.PkAttrs) {
	case 0:
		for _, ct := range tableConstraints(p.Catalog.Table(con.Pktable)) {
			if ct.Kind == PrimaryKey && len(ct.Columns) == 1 {
				ref = ct.Columns[0]
			}
		}
	case 1:
		ref = strVal(con.PkAttrs[0])
	}
	if ref == "" {
		return ""
	}
	onDelete, ok := map[string]string{"": "", "a": "", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}[con.FkDelAction]
	if !ok {
		return ""
	}
	flagName := ""
	dflt := at.Relation.Relname + "_" + cols[0] + "_fkey"
	if len(dflt) > 63 {
		dflt = dflt[:63]
	}
	if name != dflt {
		flagName = identSQL(name)
	}
	return planFixLine("add-foreign-key", []string{planColumnArg(at.Relation, cols[0]), planColumnArg(con.Pktable, ref)},
		"--name", flagName, "--on-delete", onDelete)
}

// refSQL renders REFERENCES' target: table (cols).
func refSQL(con *pg.Constraint) string {
	s := rvSQL(con.Pktable)
	if len(con.PkAttrs) > 0 {
		var cols []string
		for _, a := range con.PkAttrs {
			cols = append(cols, strVal(a))
		}
		s += " (" + colsSQL(cols) + ")"
	}
	return s
}
