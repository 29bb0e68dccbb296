package lint

import "fmt"

var ruleConcurrentInTransaction = &Rule{
	ID:       "concurrent-in-transaction",
	Severity: Error,
	Summary:  "a statement that cannot run in a transaction block (CONCURRENTLY, VACUUM, ...) shares a transaction",
	Doc: `CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY, VACUUM,
CREATE/DROP DATABASE and ALTER SYSTEM refuse to run inside a transaction block. golang-migrate's
postgres driver sends a whole file as one query string, and PostgreSQL runs a string of several
statements as one implicit transaction, so such a statement fails ("cannot run inside a
transaction block") unless it is the only statement of its file. Inside BEGIN ... COMMIT or a
DO block it fails in every runner. Before PostgreSQL 12 ALTER TYPE ... ADD VALUE is one of them.
So is CLUSTER ... USING of a partitioned table from PostgreSQL 15 (which clusters each partition
in a transaction of its own; before 15 it refuses partitioned tables altogether, which the cluster
rule reports), known from the replayed history.`,
	Check: func(p *Pass) {
		what, ok := nonTransactional(p.Node(), p.PGVersion())
		if !ok {
			what, ok = clusterOfPartitioned(p)
		}
		if !ok {
			return
		}
		var why string
		switch {
		case p.Stmt.Via != nil:
			why = "inside " + p.Stmt.Context + ", which runs as one transaction"
		case p.Tx.Explicit:
			why = "inside the BEGIN ... COMMIT block of this file"
		case p.Tx.MultiQuery:
			why = fmt.Sprintf("in a file of %d statements, which golang-migrate sends as one query string: PostgreSQL runs it as one implicit transaction", len(p.File.Statements))
		default:
			return
		}
		f := Finding{
			Message: fmt.Sprintf("%s cannot run in a transaction block: it fails %s", what, why),
			Breaks:  BreaksNew,
			Fix:     "-- move it to a migration file of its own, with nothing else in it:\n" + p.Stmt.Text() + ";",
		}
		if p.Config.Runner != RunnerGolangMigrate {
			f.Fix = "-- move it out of the BEGIN ... COMMIT block (or the DO block):\n" + p.Stmt.Text() + ";"
		}
		p.Report(f)
	},
}

// clusterOfPartitioned reports CLUSTER ... USING of a table the catalog knows
// as partitioned: from PostgreSQL 15 it runs one transaction per partition,
// so PostgreSQL refuses it inside a transaction block ("CLUSTER cannot run
// inside a transaction block"). Without USING, or before 15, it fails
// whatever the transaction (the cluster rule's finding).
func clusterOfPartitioned(p *Pass) (string, bool) {
	cs := p.Node().GetClusterStmt()
	if cs == nil || cs.Relation == nil || cs.Indexname == "" || p.PGVersion() < 15 {
		return "", false
	}
	if t := p.Catalog.Table(cs.Relation); t != nil && t.Partitioned {
		return "CLUSTER of a partitioned table", true
	}
	return "", false
}
