package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddColumnVolatileDefault = &Rule{
	ID:       "add-column-volatile-default",
	Severity: Error,
	Summary:  "ADD COLUMN with a volatile DEFAULT (random(), clock_timestamp(), gen_random_uuid(), nextval()) rewrites the table under ACCESS EXCLUSIVE",
	Doc: `From PostgreSQL 11, ADD COLUMN with a non-volatile default (a constant, now(), CURRENT_DATE, an
immutable expression) is catalog-only: the default is evaluated once and stored as the value of
every existing row. A volatile default (random(), clock_timestamp(), gen_random_uuid(),
nextval(), a function created VOLATILE, which is the default for CREATE FUNCTION) must give each
row its own value, so PostgreSQL rewrites the whole table and rebuilds its indexes while holding
ACCESS EXCLUSIVE: reads and writes wait for the whole copy. Add the column without a default,
set the default in a second statement (catalog-only: it applies to new rows only), and backfill
the existing rows in batches. A default calling a function lockstep cannot classify (not
built in, not created by the linted history) is a warning. serial and identity columns are
add-column-serial's, generated columns add-column-generated-stored's; tables created by the same
file or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		at, cols := addedColumns(p)
		for _, cd := range cols {
			if fillsRows(cd) || columnConstraint(cd, pg.ConstrType_CONSTR_GENERATED) != nil {
				continue // add-column-serial, add-column-generated-stored
			}
			def := columnDefault(cd)
			if def == nil || constant(def) {
				continue
			}
			v, culprit := ExprVolatility(def, p.Catalog)
			if v < Volatile && p.PGVersion() >= 11 {
				continue
			}
			table, name := Name(at.Relation), Name(at.Relation)+"."+cd.Colname
			expr := deparseExpr(def)
			f := Finding{
				Lock:   p.LockOn(QualifiedName(at.Relation)),
				Cost:   Rewrite,
				Breaks: BreaksAvailability,
				Fix:    volatileDefaultFix(at.Relation, cd, expr, culprit),
			}
			switch v {
			case UnknownVolatility:
				f.Severity = Warning
				f.Message = fmt.Sprintf("adding %s with DEFAULT %s: lockstep does not know whether %s is volatile; if it is, PostgreSQL rewrites %s under ACCESS EXCLUSIVE to give every row its own value",
					name, expr, culprit, table)
			default:
				f.Message = fmt.Sprintf("adding %s with the volatile DEFAULT %s rewrites %s under ACCESS EXCLUSIVE: %s gives every existing row its own value, so the default cannot be stored once in the catalog",
					name, expr, table, culprit)
			}
			p.ReportAt(cd.Location, f)
		}
	},
}

// volatileDefaultFix adds the column bare, sets the default for new rows,
// and backfills the old ones in batches.
func volatileDefaultFix(rv *pg.RangeVar, cd *pg.ColumnDef, expr, culprit string) string {
	table, col := Name(rv), identSQL(cd.Colname)
	typ := TypeOf(cd.TypeName).String()
	fix := fmt.Sprintf(`-- instant: the column without a default, then the default for new rows only
ALTER TABLE %[1]s ADD COLUMN %[2]s %[3]s;
ALTER TABLE %[1]s ALTER COLUMN %[2]s SET DEFAULT %[4]s;
%[5]s`, table, col, typ, expr, backfillStep(table, cd.Colname, expr))
	if c := columnOf(cd, Origin{}); c.NotNull {
		fix += notNullLater(table, cd.Colname)
	}
	if culprit == "clock_timestamp()" || culprit == "timeofday()" {
		fix = fmt.Sprintf("-- or, if existing rows may all get the time of the migration: now() is STABLE, so this is instant\nALTER TABLE %s ADD COLUMN %s %s DEFAULT now();\n", table, col, typ) + fix
	}
	return fix
}

// constant reports whether an expression is a literal, possibly cast: the
// common default, which needs no walk to know it is immutable.
func constant(e *pg.Node) bool {
	for e.GetTypeCast() != nil {
		e = e.GetTypeCast().Arg
	}
	return e.GetAConst() != nil
}
