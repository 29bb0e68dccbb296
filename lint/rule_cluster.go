package lint

import (
	"fmt"
)

var ruleCluster = &Rule{
	ID:       "cluster",
	Severity: Error,
	Summary:  "CLUSTER rewrites the table in index order under ACCESS EXCLUSIVE",
	Doc: `CLUSTER copies the whole table in the order of an index and rebuilds all its indexes, holding
ACCESS EXCLUSIVE throughout: reads and writes wait for the whole copy. Without a table it
reclusters every table that was clustered before. The order is not maintained afterwards either.
Record the preferred index with ALTER TABLE ... CLUSTER ON (SHARE UPDATE EXCLUSIVE, instant) and
reorder online with pg_repack --order-by, outside the deploy. Tables created by the same file or
an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		cs := p.Node().GetClusterStmt()
		if cs == nil {
			return
		}
		if cs.Relation == nil {
			p.Report(Finding{
				Message: "CLUSTER without a table rewrites every previously clustered table of the database, each under ACCESS EXCLUSIVE for its whole copy",
				Lock:    Lock{Mode: AccessExclusive}, Cost: Rewrite, Breaks: BreaksAvailability,
				Fix: "-- reorder online, outside the migration, one table at a time:\n-- pg_repack --table=<table> --order-by=<columns> \"$DATABASE_URL\"",
			})
			return
		}
		if !p.Existing(cs.Relation) {
			return
		}
		table := Name(cs.Relation)
		order := "<columns of the index>"
		fix := ""
		if cs.Indexname != "" {
			if ix := p.Catalog.Index(schemaOf(cs.Relation), cs.Indexname); ix != nil && len(ix.Columns) > 0 && !ix.Expression {
				order = colsSQL(ix.Columns)
			}
			fix = fmt.Sprintf("-- instant (SHARE UPDATE EXCLUSIVE): record the index to order by\nALTER TABLE %s CLUSTER ON %s;\n", rvSQL(cs.Relation), identSQL(cs.Indexname))
		}
		fix += fmt.Sprintf("-- then reorder online, outside the migration:\n-- pg_repack --table=%s --order-by=%q \"$DATABASE_URL\"", table, order)
		p.Report(Finding{
			Message: fmt.Sprintf("CLUSTER rewrites %s and rebuilds its indexes under ACCESS EXCLUSIVE: no read or write gets through until the copy ends", table),
			Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(cs.Relation)},
			Cost:    Rewrite,
			Breaks:  BreaksAvailability,
			Fix:     fix,
		})
	},
}
