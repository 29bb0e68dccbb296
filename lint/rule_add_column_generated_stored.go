package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddColumnGeneratedStored = &Rule{
	ID:       "add-column-generated-stored",
	Severity: Error,
	Summary:  "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED computes the column for every row: a rewrite under ACCESS EXCLUSIVE",
	Doc: `A stored generated column is computed and written into every row when it is added: PostgreSQL
rewrites the whole table and rebuilds its indexes while holding ACCESS EXCLUSIVE, so reads and
writes wait for the whole copy, however cheap the expression. (PostgreSQL 13 to 17 have only
STORED generated columns; the VIRTUAL kind, computed on read, comes with PostgreSQL 18.) On a
table in use, add a plain column instead, keep it up to date for new and changed rows with a
BEFORE INSERT OR UPDATE trigger, and backfill the existing rows in batches; or compute the value
where it is read (a view, an expression index, the application). Tables created by the same file
or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		at, cols := addedColumns(p)
		for _, cd := range cols {
			gen := columnConstraint(cd, pg.ConstrType_CONSTR_GENERATED)
			if gen == nil {
				continue
			}
			table := Name(at.Relation)
			p.ReportAt(cd.Location, Finding{
				Message: fmt.Sprintf("adding the stored generated column %s.%s computes %s for every row: PostgreSQL rewrites %s under ACCESS EXCLUSIVE, and reads and writes wait for the whole copy",
					table, cd.Colname, deparseExpr(gen.RawExpr), table),
				Lock:   p.LockOn(QualifiedName(at.Relation)),
				Cost:   Rewrite,
				Breaks: BreaksAvailability,
				Fix:    generatedFix(at.Relation, cd, gen.RawExpr),
			})
		}
	},
}

// generatedFix replaces the generated column with a plain one kept by a
// trigger and backfilled in batches.
func generatedFix(rv *pg.RangeVar, cd *pg.ColumnDef, expr *pg.Node) string {
	table, col := Name(rv), identSQL(cd.Colname)
	fn := identSQL(rv.Relname + "_" + cd.Colname + "_fill")
	onNew := replaceColumnRefs(expr, func(c string) []string { return []string{"new", c} })
	return fmt.Sprintf(`-- instant: a plain column, kept up to date by a trigger for new and changed rows
ALTER TABLE %[1]s ADD COLUMN %[2]s %[3]s;
CREATE FUNCTION %[4]s() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.%[2]s := %[5]s;
  RETURN NEW;
END $$;
CREATE TRIGGER %[4]s BEFORE INSERT OR UPDATE ON %[1]s FOR EACH ROW EXECUTE FUNCTION %[4]s();
%[6]s`, table, col, TypeOf(cd.TypeName).String(), fn, onNew, backfillStep(table, cd.Colname, deparseExpr(expr)))
}
