package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddNotNullColumnNoDefault = &Rule{
	ID:       "add-not-null-column-no-default",
	Severity: Error,
	Summary:  "ADD COLUMN ... NOT NULL without a DEFAULT fails on a table with rows and breaks the old release's inserts",
	Doc: `Adding a NOT NULL column without a default to a table that already has rows fails ("column
contains null values") after scanning the table under ACCESS EXCLUSIVE. On an empty table it goes
through, and then every INSERT of the old release, which does not know the column and leaves it
out, fails. A PRIMARY KEY column is NOT NULL too. Give the column a default: from PostgreSQL 11 a
non-volatile default on ADD COLUMN is catalog-only, so ADD COLUMN ... NOT NULL DEFAULT <constant>
is instant, fills every existing row and keeps the old release's inserts working. When no value
makes sense as a default, add the column nullable, backfill it, and make it NOT NULL the safe way
(see set-not-null). Identity, serial and generated columns fill themselves and are not flagged,
nor are tables created by the same file or by an unreleased one.`,
	Check: func(p *Pass) {
		at, cmds := alterCmds(p)
		if at == nil {
			return
		}
		table := p.Catalog.Table(at.Relation)
		for _, cmd := range cmds {
			cd := cmd.Def.GetColumnDef()
			if cmd.Subtype != pg.AlterTableType_AT_AddColumn || cd == nil {
				continue
			}
			if cmd.MissingOk && table.Column(cd.Colname) != nil {
				continue // ADD COLUMN IF NOT EXISTS of a column that exists: a no-op
			}
			col := columnOf(cd, Origin{})
			if !col.NotNull || col.Default != nil || col.Identity || col.Generated {
				continue
			}
			typ, pk := col.Type, false
			for _, cn := range cd.Constraints {
				if con := cn.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_PRIMARY {
					pk = true
				}
			}
			name := Name(at.Relation) + "." + cd.Colname
			why := "NOT NULL"
			if pk {
				why = "PRIMARY KEY (so NOT NULL)"
			}
			p.ReportAt(cd.Location, Finding{
				Message: fmt.Sprintf("adding %s %s without a default fails if %s has any row, and once it is in, every insert of the old release, which does not set %s, fails",
					name, why, Name(at.Relation), cd.Colname),
				Lock:   p.LockOn(QualifiedName(at.Relation)),
				Cost:   Scan,
				Breaks: BreaksOld,
				Fix:    addRequiredColumnFix(Name(at.Relation), cd.Colname, typ),
			})
		}
	},
}

// addRequiredColumnFix writes the instant form with a default, and the
// nullable-then-backfill form.
func addRequiredColumnFix(table, col string, typ Type) string {
	def, ok := zeroValue(typ)
	pick := "-- pick the value that existing rows and the old release's inserts should get"
	if !ok {
		def = "<value>"
	}
	return fmt.Sprintf(`%[5]s (constant: instant from PostgreSQL 11)
ALTER TABLE %[1]s ADD COLUMN %[2]s %[3]s NOT NULL DEFAULT %[4]s;
-- or, when no default makes sense: add it nullable, backfill, then SET NOT NULL the safe way
ALTER TABLE %[1]s ADD COLUMN %[2]s %[3]s;
-- lockstep plan set-not-null %[1]s.%[2]s writes the backfill, CHECK ... NOT VALID, VALIDATE and SET NOT NULL steps`,
		table, col, typ.String(), def, pick)
}

// zeroValue is a constant default for a type, for fixes.
func zeroValue(t Type) (string, bool) {
	if t.Array {
		return "'{}'", true
	}
	switch t.Name {
	case "text", "varchar", "bpchar", "citext":
		return "''", true
	case "int2", "int4", "int8", "numeric", "float4", "float8", "money":
		return "0", true
	case "bool":
		return "false", true
	case "timestamptz", "timestamp":
		return "now()", true // STABLE: evaluated once by ADD COLUMN, no rewrite
	case "date":
		return "CURRENT_DATE", true
	case "jsonb", "json":
		return "'{}'", true
	case "interval":
		return "'0'", true
	case "uuid":
		return "'00000000-0000-0000-0000-000000000000'", true
	}
	return "", false
}
