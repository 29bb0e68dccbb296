package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleChangeColumnType = &Rule{
	ID:       "change-column-type",
	Severity: Error,
	Summary:  "ALTER COLUMN ... TYPE rewrites the table under ACCESS EXCLUSIVE, unless it is a safe widening",
	Doc: `Changing a column's type takes ACCESS EXCLUSIVE and, unless the old type is binary-coercible to
the new one with no new constraint on the data, rewrites the whole table and rebuilds its indexes
while reads and writes wait. It also changes what both releases read and write: drivers map types,
a narrower type rejects values the old release writes. lockstep knows the column's current type from
the replayed history and lets the safe widenings through: varchar(n) to varchar(m >= n), to varchar
or to text; text to varchar; numeric(p,s) to numeric(p2 >= p, s) or numeric; more precision for
timestamp/time; cidr to inet. timestamp to timestamptz is catalog-only from PostgreSQL 12 only when
the session TimeZone is UTC (a warning). A USING clause always rewrites.`,
	Check: func(p *Pass) {
		at := p.Node().GetAlterTableStmt()
		if at == nil || at.Objtype != pg.ObjectType_OBJECT_TABLE || !p.Existing(at.Relation) {
			return
		}
		table := p.Catalog.Table(at.Relation)
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil || cmd.Subtype != pg.AlterTableType_AT_AlterColumnType {
				continue
			}
			cd := cmd.Def.GetColumnDef()
			if cd == nil {
				continue
			}
			to := TypeOf(cd.TypeName)
			col := table.Column(cmd.Name)
			name := Name(at.Relation) + "." + cmd.Name
			f := Finding{Lock: p.LockOn(QualifiedName(at.Relation)), Cost: Rewrite, Breaks: BreaksBoth,
				Fix: changeTypeFix(at.Relation, cmd.Name, to)}
			if col != nil && !p.HasReaders(col.Origin) {
				// Nobody reads the column yet, but the table still has traffic.
				f.Breaks = BreaksAvailability
			}
			switch {
			case col == nil:
				f.Message = fmt.Sprintf("changing %s to %s: its current type is not in the linted history, so lockstep cannot prove a rewrite-free widening; a rewrite holds ACCESS EXCLUSIVE on %s for the whole copy", name, to, Name(at.Relation))
			case cd.RawDefault != nil:
				f.Message = fmt.Sprintf("changing %s from %s to %s with USING rewrites the whole table under ACCESS EXCLUSIVE", name, col.Type, to)
			default:
				switch Convert(col.Type, to, p.PGVersion()) {
				case ConvSafe:
					continue
				case ConvTimeZone:
					f.Severity = Warning
					f.Cost = Instant
					f.Breaks = BreaksAvailability
					f.Message = fmt.Sprintf("changing %s from timestamp to timestamptz is catalog-only only when the session TimeZone is UTC; otherwise it rewrites the table under ACCESS EXCLUSIVE", name)
					f.Fix = "SET LOCAL timezone = 'UTC';\n" + p.Stmt.Text() + ";"
				default:
					f.Message = fmt.Sprintf("changing %s from %s to %s rewrites the whole table and its indexes under ACCESS EXCLUSIVE, and changes what both releases read and write", name, col.Type, to)
				}
			}
			p.ReportAt(cd.Location, f)
		}
	},
}

func changeTypeFix(rv *pg.RangeVar, col string, to Type) string {
	t := Name(rv)
	nc := col + "_new"
	return fmt.Sprintf(`-- lockstep plan change-column-type %s.%s %s writes these files:
-- expand (this release): a new column, kept in sync by a trigger
ALTER TABLE %s ADD COLUMN %s %s;
-- backfill (batched, resumable): -- lockstep:batch key=id size=5000
UPDATE %s SET %s = %s WHERE %s IS NULL;
-- contract (a later release, once no code reads %s.%s): swap, then drop
ALTER TABLE %s DROP COLUMN %s;
ALTER TABLE %s RENAME COLUMN %s TO %s;`, t, col, to, t, nc, to, t, nc, col, nc, t, col, t, col, t, nc, col)
}
