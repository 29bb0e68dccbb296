package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropSchema = &Rule{
	ID:       "drop-schema",
	Severity: Error,
	Summary:  "DROP SCHEMA breaks the release that still uses what is in it, and loses its data",
	Doc: `DROP SCHEMA fails while anything is left in the schema; DROP SCHEMA ... CASCADE drops every
table, view, sequence, type and function in it, with their data, taking ACCESS EXCLUSIVE on each
table. The old release, still running while the deploy rolls out, fails on every query of those
objects, and a rollback cannot bring the data back. Drop the objects one by one in the contract
phase of a later release (each is then drop-table's business), and the empty schema last. A schema
created by the same file or by an unreleased one is not flagged; in a file declared
"-- lockstep:phase contract" the finding is a warning.`,
	Check: func(p *Pass) {
		ds := p.Node().GetDropStmt()
		if ds == nil || ds.RemoveType != pg.ObjectType_OBJECT_SCHEMA {
			return
		}
		cascade := ds.Behavior == pg.DropBehavior_DROP_CASCADE
		for _, obj := range ds.Objects {
			name := strVal(obj)
			if o, ok := p.Catalog.SchemaOrigin(name); ok && !p.HasReaders(o) {
				continue
			}
			tables := tablesInSchema(p.Catalog, name)
			var short []string
			for _, t := range tables {
				short = append(short, DisplayName(t))
			}
			f := Finding{Breaks: BreaksOld}
			switch {
			case cascade && len(tables) > 0:
				f.Message = fmt.Sprintf("DROP SCHEMA %s CASCADE drops %s with their data, under ACCESS EXCLUSIVE, and breaks the old release, which still uses them while the deploy runs", name, list(short))
				f.Lock = Lock{Mode: AccessExclusive, Relation: tables[0]}
			case cascade:
				f.Message = fmt.Sprintf("DROP SCHEMA %s CASCADE drops every table, view, sequence and function in it with their data, and breaks the old release, which still uses them while the deploy runs", name)
			case len(tables) > 0:
				f.Message = fmt.Sprintf("DROP SCHEMA %s fails while it still holds %s; dropping them breaks the old release, which still uses them", name, list(short))
				f.Breaks = BreaksNew
			default:
				f.Message = fmt.Sprintf("DROP SCHEMA %s breaks the old release if it still uses anything in %s (and fails while anything is left in it)", name, name)
			}
			var fix string
			for _, t := range short {
				fix += fmt.Sprintf("DROP TABLE %s;\n", t)
			}
			if fix == "" {
				fix = fmt.Sprintf("DROP TABLE %s.<table>;  -- each object, once no release uses it\n", name)
			}
			f.Fix = "-- release N: ship code that no longer uses schema " + name + "\n" +
				"-- release N+1, contract phase, once no instance of a release before N runs:\n-- lockstep:phase contract\n" +
				fix + fmt.Sprintf("DROP SCHEMA %s;  -- without CASCADE: it fails if something is still in it", name)
			if declaredPhase(p.File) == Contract {
				f.Severity = Warning
				f.Message += contractNote
			}
			p.ReportAt(-1, f)
		}
	},
}
