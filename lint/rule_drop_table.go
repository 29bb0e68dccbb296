package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropTable = &Rule{
	ID:       "drop-table",
	Severity: Error,
	Summary:  "DROP TABLE breaks the release that still reads or writes the table",
	Doc: `The old release keeps running while the deploy rolls out: if it still queries the table, every
such query fails from the moment the table is gone, and the data is lost for good if the deploy is
rolled back. DROP TABLE takes ACCESS EXCLUSIVE on the table and also on every table its foreign keys
reference (their triggers are dropped), so traffic on those stalls too until the transaction ends.
Without CASCADE it fails while another table's foreign key references it; with CASCADE it silently
drops those foreign keys (under ACCESS EXCLUSIVE on the referencing tables) and every dependent
view. The safe sequence is contract-phase: release N stops using the table; the drop runs once no
release before N is left. Tables created by the same file or an unreleased one are not flagged; in
a file declared "-- lockstep:phase contract" the finding is a warning.`,
	Check: func(p *Pass) {
		ds := p.Node().GetDropStmt()
		if ds == nil || (ds.RemoveType != pg.ObjectType_OBJECT_TABLE && ds.RemoveType != pg.ObjectType_OBJECT_FOREIGN_TABLE) {
			return
		}
		cascade := ds.Behavior == pg.DropBehavior_DROP_CASCADE
		for _, obj := range ds.Objects {
			schema, name := objectName(obj)
			q := qualify(schema, name)
			if !p.ExistingNamed(q) {
				continue
			}
			t := p.Catalog.TableNamed(q)
			msg := fmt.Sprintf("dropping table %s breaks the old release, which still reads and writes it while the deploy runs, and loses its data for good", DisplayName(q))
			refTables, dropFKs := referencingConstraints(p.Catalog, q)
			switch {
			case len(refTables) > 0 && cascade:
				msg += fmt.Sprintf("; CASCADE also drops the foreign keys of %s that reference it, under ACCESS EXCLUSIVE on those tables", list(refTables))
			case len(refTables) > 0:
				msg += fmt.Sprintf("; it also fails: %s still references it (drop those foreign keys first)", list(refTables))
			case cascade && (t == nil || !t.Known):
				msg += "; CASCADE silently drops every view and foreign key that depends on it"
			}
			if refd := referencedTables(t); len(refd) > 0 {
				msg += fmt.Sprintf("; it takes ACCESS EXCLUSIVE on %s too, which its foreign keys reference", list(refd))
			}
			f := Finding{
				Message: msg,
				Lock:    Lock{Mode: AccessExclusive, Relation: q},
				Breaks:  BreaksOld,
				Fix:     dropTableFix(DisplayName(q), dropFKs),
			}
			if declaredPhase(p.File) == Contract {
				f.Severity = Warning
				f.Message += contractNote
			}
			p.ReportAt(-1, f)
		}
	},
}

func dropTableFix(table string, dropFKs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- release N: ship code that no longer reads or writes %s\n", table)
	b.WriteString("-- release N+1, contract phase, once no instance of a release before N runs:\n")
	b.WriteString("-- lockstep:phase contract\n")
	b.WriteString("SET lock_timeout = '2s';\n")
	for _, fk := range dropFKs {
		b.WriteString(fk + "\n")
	}
	fmt.Fprintf(&b, "DROP TABLE %s;", table)
	return b.String()
}
