package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
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
an unreleased one are not flagged.
A partitioned table is different: before PostgreSQL 15 CLUSTER refuses it; from 15 it clusters
each partition in a transaction of its own, so it cannot run inside a transaction block (a
golang-migrate file of several statements, BEGIN ... COMMIT, a DO block: concurrent-in-transaction
reports that), and it needs USING, since a partitioned table cannot be marked CLUSTER ON. Those
failures are reported even for a table the same file creates.`,
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
		if t := p.Catalog.Table(cs.Relation); t != nil && t.Partitioned {
			clusterPartitioned(p, cs, t)
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

// clusterPartitioned reports CLUSTER of a partitioned table: it fails before
// PostgreSQL 15 and, from 15, without USING (a partitioned table has no
// clustered index to fall back on: ALTER TABLE ... CLUSTER ON refuses it);
// otherwise it rewrites the partitions one after the other, each under
// ACCESS EXCLUSIVE in a transaction of its own.
func clusterPartitioned(p *Pass, cs *pg.ClusterStmt, t *Table) {
	table := Name(cs.Relation)
	var parts []string
	for _, pt := range p.Catalog.Partitions(t.Qualified()) {
		parts = append(parts, DisplayName(pt.Qualified()))
	}
	order := "<columns of the index>"
	if cs.Indexname != "" {
		if ix := p.Catalog.Index(schemaOf(cs.Relation), cs.Indexname); ix != nil && len(ix.Columns) > 0 && !ix.Expression {
			order = colsSQL(ix.Columns)
		}
	}
	repack := func() string {
		if len(parts) == 0 {
			return fmt.Sprintf("-- pg_repack --table=<partition of %s> --order-by=%q \"$DATABASE_URL\"", table, order)
		}
		var b strings.Builder
		for _, pt := range parts {
			fmt.Fprintf(&b, "-- pg_repack --table=%s --order-by=%q \"$DATABASE_URL\"\n", pt, order)
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	lock := Lock{Mode: AccessExclusive, Relation: QualifiedName(cs.Relation)}
	switch {
	case p.PGVersion() < 15:
		p.Report(Finding{
			Message: fmt.Sprintf("CLUSTER of the partitioned table %s fails before PostgreSQL 15 (\"cannot cluster a partitioned table\"): the migration stops there", table),
			Lock:    lock,
			Breaks:  BreaksNew,
			Fix:     "-- reorder each partition online, outside the migration:\n" + repack(),
		})
	case cs.Indexname == "":
		p.Report(Finding{
			Message: fmt.Sprintf("CLUSTER %s without USING fails: a partitioned table has no clustered index (ALTER TABLE ... CLUSTER ON refuses one), so PostgreSQL stops with \"there is no previously clustered index\"", table),
			Lock:    lock,
			Breaks:  BreaksNew,
			Fix:     "-- name the index, in a migration file of its own (it cannot run in a transaction block):\n" + fmt.Sprintf("CLUSTER %s USING <index>;", rvSQL(cs.Relation)) + "\n-- or, online, outside the migration:\n" + repack(),
		})
	case p.Existing(cs.Relation):
		which := "each of its partitions"
		if len(parts) > 0 {
			which += " (" + strings.Join(parts, ", ") + ")"
		}
		p.Report(Finding{
			Message: fmt.Sprintf("CLUSTER of the partitioned table %s rewrites %s in turn, each under ACCESS EXCLUSIVE for its whole copy in a transaction of its own: no read or write of a partition gets through while it is copied, and the statement cannot run in a transaction block", table, which),
			Lock:    lock,
			Cost:    Rewrite,
			Breaks:  BreaksAvailability,
			Fix:     "-- reorder each partition online, outside the migration:\n" + repack(),
		})
	}
}
