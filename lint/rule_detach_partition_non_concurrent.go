package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDetachPartitionNonConcurrent = &Rule{
	ID:       "detach-partition-non-concurrent",
	Severity: Error,
	Summary:  "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table",
	Doc: `ALTER TABLE parent DETACH PARTITION child takes ACCESS EXCLUSIVE on the parent and the
partition (and on the DEFAULT partition, if there is one): every query of the whole partitioned
table waits, first for the longest transaction already using it, then for the detach. From
PostgreSQL 14, DETACH PARTITION ... CONCURRENTLY takes only SHARE UPDATE EXCLUSIVE on the parent
and waits for the queries using it in two transactions; it cannot run inside a transaction block
(alone in its file under golang-migrate), and PostgreSQL refuses it when the parent has a DEFAULT
partition. If it is interrupted, ALTER TABLE parent DETACH PARTITION child FINALIZE completes it.
Before 14 there is no online form: detach under a short lock_timeout and retry. On PostgreSQL 13
CONCURRENTLY itself is a syntax error, which this rule reports too.`,
	Check: func(p *Pass) {
		at, cmds := tableCmds(p, pg.AlterTableType_AT_DetachPartition)
		if at == nil || !p.Existing(at.Relation) {
			return
		}
		parent := QualifiedName(at.Relation)
		for _, cmd := range cmds {
			pc := cmd.Def.GetPartitionCmd()
			if pc == nil || pc.Name == nil {
				continue
			}
			if pc.Concurrent {
				if p.PGVersion() < 14 {
					p.Report(Finding{
						Message: fmt.Sprintf("DETACH PARTITION ... CONCURRENTLY needs PostgreSQL 14: on %d the statement is a syntax error", p.PGVersion()),
						Breaks:  BreaksNew,
						Fix:     fmt.Sprintf("-- under a short lock_timeout, retried until it gets the lock:\nSET lock_timeout = '2s';\nALTER TABLE %s DETACH PARTITION %s;", rvSQL(at.Relation), rvSQL(pc.Name)),
					})
				}
				continue
			}
			f := Finding{
				Message: fmt.Sprintf("DETACH PARTITION %s takes ACCESS EXCLUSIVE on %s: every query of the partitioned table waits, behind the longest transaction using it",
					Name(pc.Name), Name(at.Relation)),
				Lock:   Lock{Mode: AccessExclusive, Relation: parent},
				Breaks: BreaksAvailability,
			}
			retry := fmt.Sprintf("-- under a short lock_timeout, retried until it gets the lock:\nSET lock_timeout = '2s';\n%s;", p.Stmt.Text())
			switch def := defaultPartition(p.Catalog, parent); {
			case p.PGVersion() < 14:
				f.Fix = "-- DETACH PARTITION CONCURRENTLY needs PostgreSQL 14\n" + retry
			case def != "" && def != QualifiedName(pc.Name):
				f.Fix = fmt.Sprintf("-- CONCURRENTLY is refused while %s has a DEFAULT partition (%s)\n%s", Name(at.Relation), DisplayName(def), retry)
			default:
				conc := &pg.AlterTableCmd{Subtype: cmd.Subtype, Def: &pg.Node{Node: &pg.Node_PartitionCmd{PartitionCmd: &pg.PartitionCmd{Name: pc.Name, Concurrent: true}}}}
				sql := alterSQL(at, conc)
				f.Fix = aloneNote(p) + sql + fmt.Sprintf("\n-- if it is interrupted, complete it with:\n-- ALTER TABLE %s DETACH PARTITION %s FINALIZE;", rvSQL(at.Relation), rvSQL(pc.Name))
				if p.OnlyStatement() && len(at.Cmds) == 1 {
					f.Suggestion = sql
				}
			}
			p.Report(f)
		}
	},
}
