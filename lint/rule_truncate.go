package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleTruncate = &Rule{
	ID:       "truncate",
	Severity: Error,
	Summary:  "TRUNCATE of a table in use deletes the rows both releases read, under ACCESS EXCLUSIVE",
	Doc: `TRUNCATE takes ACCESS EXCLUSIVE and empties the table at once: the rows the running release
reads are gone, and while the statement waits for its lock every query of the table queues
behind it. With CASCADE it also empties every table whose foreign keys reference it, and theirs,
which lockstep lists from the replayed history. If the data must go while the table stays in use,
delete it in batches of short transactions (lockstep migrate backfill runs a file with a
"-- lockstep:batch" header that way); if the table is being retired, stop using it and drop it in a
contract-phase file. Tables created by the same file or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		ts := p.Node().GetTruncateStmt()
		if ts == nil {
			return
		}
		var tables, deletes []string
		var first string
		for _, r := range ts.Relations {
			rv := r.GetRangeVar()
			if rv == nil || !p.Existing(rv) {
				continue
			}
			if first == "" {
				first = QualifiedName(rv)
			}
			tables = append(tables, Name(rv))
			deletes = append(deletes, fmt.Sprintf("DELETE FROM %s;", rvSQL(rv)))
		}
		if len(tables) == 0 {
			return
		}
		msg := fmt.Sprintf("TRUNCATE deletes every row of %s, which the running release reads, under ACCESS EXCLUSIVE", joinNames(tables))
		if ts.Behavior == pg.DropBehavior_DROP_CASCADE {
			var deps []string
			for _, r := range ts.Relations {
				for _, d := range p.Catalog.referencingTables(QualifiedName(r.GetRangeVar())) {
					if p.ExistingNamed(d) {
						deps = append(deps, DisplayName(d))
					}
				}
			}
			if len(deps) > 0 {
				msg += fmt.Sprintf("; CASCADE also empties %s", joinNames(deps))
			} else {
				msg += "; CASCADE also empties every table with a foreign key to it (none in the linted history)"
			}
		}
		fix := "-- to empty it while it stays in use: delete in batches of short transactions, in a file of its own\n" +
			"-- lockstep:phase contract\n-- lockstep:batch key=id size=5000\n"
		for _, d := range deletes {
			fix += d + "\n"
		}
		fix += "-- to retire the table: stop using it in release N, then drop it in a contract file of release N+1"
		p.Report(Finding{
			Message: msg,
			Lock:    Lock{Mode: AccessExclusive, Relation: first},
			Breaks:  BreaksBoth,
			Fix:     fix,
		})
	},
}
