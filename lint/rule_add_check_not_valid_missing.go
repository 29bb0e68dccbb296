package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddCheckNotValidMissing = &Rule{
	ID:       "add-check-not-valid-missing",
	Severity: Error,
	Summary:  "a CHECK constraint added to a table in use without NOT VALID scans it under ACCESS EXCLUSIVE",
	Doc: `ADD CONSTRAINT ... CHECK on an existing table takes ACCESS EXCLUSIVE and checks every row before it
commits: reads and writes of the table wait for the whole scan. Added NOT VALID, the constraint
only binds new and updated rows and is in place in milliseconds; VALIDATE CONSTRAINT in a later
file checks the old rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes through. A
CHECK on a column added by the same ALTER TABLE (ADD COLUMN ... CHECK) scans the table too, and
a column constraint cannot say NOT VALID: add the column, then the constraint. Tables created by
the same file or an unreleased one have no rows to protect and are not flagged.`,
	Check: func(p *Pass) {
		at, cmds, _ := lockAlter(p)
		for _, cmd := range cmds {
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddConstraint:
				con := cmd.Def.GetConstraint()
				if con == nil || con.Contype != pg.ConstrType_CONSTR_CHECK || con.SkipValidation {
					continue
				}
				name := constraintNameOf(at.Relation, con, ConstraintColumns(con))
				add := cloneCmd(cmd)
				ac := add.Def.GetConstraint()
				ac.SkipValidation, ac.InitiallyValid, ac.Conname = true, false, name
				plan := ""
				if !con.IsNoInherit && con.RawExpr != nil {
					plan = planFixLine("add-check", []string{rvSQL(at.Relation), identSQL(name), deparseExpr(con.RawExpr)})
				}
				checkReport(p, at, con.Location, name, "", plan, alterSQL(at, add))
			case pg.AlterTableType_AT_AddColumn:
				cd := cmd.Def.GetColumnDef()
				if cd == nil {
					continue
				}
				for _, cn := range cd.Constraints {
					con := cn.GetConstraint()
					if con == nil || con.Contype != pg.ConstrType_CONSTR_CHECK {
						continue
					}
					name := constraintNameOf(at.Relation, con, []string{cd.Colname})
					bare := cloneCmd(cmd)
					bcd := bare.Def.GetColumnDef()
					var kept []*pg.Node
					for _, k := range bcd.Constraints {
						if k.GetConstraint().GetContype() != pg.ConstrType_CONSTR_CHECK {
							kept = append(kept, k)
						}
					}
					bcd.Constraints = kept
					check := &pg.Constraint{Contype: pg.ConstrType_CONSTR_CHECK, Conname: name, RawExpr: con.RawExpr, SkipValidation: true}
					addCheck := &pg.AlterTableCmd{Subtype: pg.AlterTableType_AT_AddConstraint,
						Def: &pg.Node{Node: &pg.Node_Constraint{Constraint: check}}, Behavior: pg.DropBehavior_DROP_RESTRICT}
					checkReport(p, at, con.Location, name, cd.Colname, "", alterSQL(at, bare, addCheck))
				}
			}
		}
	},
}

// checkReport reports one CHECK added without NOT VALID; col is set for ADD
// COLUMN ... CHECK, plan is the lockstep plan line of the fix, if any.
func checkReport(p *Pass, at *pg.AlterTableStmt, loc int32, name, col, plan, notValid string) {
	table := Name(at.Relation)
	what := "the CHECK " + name
	if col != "" {
		what = fmt.Sprintf("the CHECK on the new column %s", col)
	}
	p.ReportAt(loc, Finding{
		Message: fmt.Sprintf("%s checks every row of %s while holding ACCESS EXCLUSIVE: reads and writes wait for the whole scan; add it NOT VALID and VALIDATE it in a later file", what, table),
		Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
		Cost:    Scan,
		Breaks:  BreaksAvailability,
		Fix: plan + "-- instant: binds new and updated rows only\n" + notValid + "\n" + laterFileNote +
			"-- checks the old rows under SHARE UPDATE EXCLUSIVE: reads and writes go on\n" +
			fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", rvSQL(at.Relation), identSQL(name)),
	})
}
