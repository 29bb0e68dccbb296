package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddColumnSerial = &Rule{
	ID:       "add-column-serial",
	Severity: Error,
	Summary:  "ADD COLUMN serial/bigserial/smallserial or GENERATED ... AS IDENTITY on a table in use rewrites it under ACCESS EXCLUSIVE",
	Doc: `A serial column is an integer column whose default is nextval() of a new sequence, and an
identity column draws from one too: adding either to a table that has rows gives every row its
own value, one nextval() per row, so PostgreSQL rewrites the whole table and rebuilds its indexes
while holding ACCESS EXCLUSIVE. Reads and writes wait for the whole copy. Add a plain nullable
column, give it a sequence default for new rows (catalog-only), backfill the existing rows in
batches, make it NOT NULL the safe way, and, for an identity column, switch to IDENTITY at the end
(ALTER COLUMN ... ADD GENERATED ... AS IDENTITY on a NOT NULL column is catalog-only). An added
serial or identity column that is also the PRIMARY KEY is reported by add-primary-key, which
covers the rewrite and the index build; tables created by the same file or an unreleased one are
not flagged.`,
	Check: func(p *Pass) {
		at, cols := addedColumns(p)
		for _, cd := range cols {
			if !fillsRows(cd) || columnConstraint(cd, pg.ConstrType_CONSTR_PRIMARY) != nil {
				continue
			}
			typ := TypeOf(cd.TypeName)
			what := typ.String()
			identity := columnConstraint(cd, pg.ConstrType_CONSTR_IDENTITY)
			if identity != nil {
				what = "an identity column"
			}
			table := Name(at.Relation)
			p.ReportAt(cd.Location, Finding{
				Message: fmt.Sprintf("adding %s.%s as %s fills every existing row with nextval(): PostgreSQL rewrites %s under ACCESS EXCLUSIVE, and reads and writes wait for the whole copy",
					table, cd.Colname, what, table),
				Lock:   p.LockOn(QualifiedName(at.Relation)),
				Cost:   Rewrite,
				Breaks: BreaksAvailability,
				Fix:    serialFix(at.Relation, cd.Colname, typ, identity),
			})
		}
	},
}

// serialFix adds the column bare, feeds new rows from a sequence, backfills
// the old ones and, for identity, switches over at the end.
func serialFix(rv *pg.RangeVar, colName string, typ Type, identity *pg.Constraint) string {
	table, col := Name(rv), identSQL(colName)
	seqName := rv.Relname + "_" + colName + "_seq"
	seq := identSQL(seqName)
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		seq = identSQL(rv.Schemaname) + "." + seq
		seqName = rv.Schemaname + "." + seqName
	}
	next := fmt.Sprintf("nextval('%s')", seqName)
	fix := fmt.Sprintf(`-- instant: a plain column, and a sequence default for new rows only
ALTER TABLE %[1]s ADD COLUMN %[2]s %[3]s;
CREATE SEQUENCE %[4]s AS %[3]s OWNED BY %[1]s.%[2]s;
ALTER TABLE %[1]s ALTER COLUMN %[2]s SET DEFAULT %[5]s;
%[6]s%[7]s`, table, col, plainType(typ), seq, next, backfillStep(table, colName, next), notNullLater(table, colName))
	if identity != nil {
		when := "BY DEFAULT"
		if identity.GeneratedWhen == "a" {
			when = "ALWAYS"
		}
		fix += fmt.Sprintf(`
-- finally, to make it an identity column (catalog-only on a NOT NULL column), in one transaction:
ALTER TABLE %[1]s ALTER COLUMN %[2]s DROP DEFAULT;
ALTER TABLE %[1]s ALTER COLUMN %[2]s ADD GENERATED %[3]s AS IDENTITY;
SELECT setval(pg_get_serial_sequence('%[1]s', '%[4]s'), (SELECT max(%[2]s) FROM %[1]s));
DROP SEQUENCE %[5]s;`, table, col, when, colName, seq)
	}
	return fix
}
