package lint

import "fmt"

var ruleDropDatabase = &Rule{
	ID:       "drop-database",
	Severity: Error,
	Summary:  "DROP DATABASE in a migration destroys every table and its data",
	Doc: `A migration runs against the database it drops or a sibling of it; either way DROP DATABASE
removes every table with its data, every release that uses it fails at once, and no rollback brings
anything back. It also cannot run inside a transaction block (concurrent-in-transaction reports that
separately). Dropping a database is an operation for a person, after a backup and once nothing
connects to it, not a step of a deploy.`,
	Check: func(p *Pass) {
		dd := p.Node().GetDropdbStmt()
		if dd == nil {
			return
		}
		p.Report(Finding{
			Message: fmt.Sprintf("DROP DATABASE %s destroys every table in it with its data: every release that uses it fails, and no rollback brings it back", dd.Dbname),
			Breaks:  BreaksBoth,
			Fix: fmt.Sprintf(`-- not in a migration: once nothing connects to %[1]s and after a backup, by hand:
--   pg_dump --format=custom --file=%[1]s.dump %[1]s
--   DROP DATABASE %[1]s;`, dd.Dbname),
		})
	},
}
