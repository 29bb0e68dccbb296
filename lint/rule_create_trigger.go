package lint

import (
	"fmt"
)

var ruleCreateTrigger = &Rule{
	ID:       "create-trigger",
	Severity: Warning,
	Summary:  "CREATE TRIGGER on a table in use takes SHARE ROW EXCLUSIVE, and its function then runs in every write of both releases",
	Doc: `CREATE TRIGGER (and CREATE CONSTRAINT TRIGGER, CREATE OR REPLACE TRIGGER) takes SHARE ROW
EXCLUSIVE on the table. The change itself is instant, but the lock waits for every transaction
already using the table, and writes queue behind it while it waits: without a lock_timeout a
long-running query stalls all writes to the table. In a golang-migrate file the lock is held
until the file's transaction ends. From then on the trigger function runs in every write of both
releases, which is often the point (the sync trigger of an expand/contract rename, which lockstep
plan generates) but costs each write, and an error in the function fails the old release's writes.
With a lock_timeout in effect (set in the file, or assume_lock_timeout) the wait is bounded and the
finding is a hint. CREATE OR REPLACE TRIGGER needs PostgreSQL 14. Triggers on tables created by
the same file or an unreleased one, and INSTEAD OF triggers on views, are not flagged.`,
	Check: func(p *Pass) {
		ct := p.Node().GetCreateTrigStmt()
		if ct == nil || ct.Relation == nil {
			return
		}
		rel := QualifiedName(ct.Relation)
		if ct.Replace && p.PGVersion() < 14 {
			p.Report(Finding{
				Severity: Error,
				Message:  fmt.Sprintf("CREATE OR REPLACE TRIGGER needs PostgreSQL 14: on %d the statement is a syntax error", p.PGVersion()),
				Breaks:   BreaksNew,
				Fix:      fmt.Sprintf("DROP TRIGGER IF EXISTS %s ON %s;\n-- then the same CREATE TRIGGER without OR REPLACE", identSQL(ct.Trigname), rvSQL(ct.Relation)),
			})
			return
		}
		if _, view := p.Catalog.ViewOrigin(rel); view || !p.Existing(ct.Relation) {
			return
		}
		name := Name(ct.Relation)
		f := Finding{
			Message: fmt.Sprintf("CREATE TRIGGER %s takes SHARE ROW EXCLUSIVE on %s: writes to it queue behind the lock while it waits for running transactions, and the trigger then runs in every write of both releases",
				ct.Trigname, name),
			Lock:   Lock{Mode: ShareRowExclusive, Relation: rel},
			Breaks: BreaksAvailability,
			Fix:    fmt.Sprintf("-- bound the wait, and retry the migration if it gives up:\nSET lock_timeout = '2s';\n%s;\n-- test the trigger function against the old release's writes before the deploy", p.Stmt.Text()),
		}
		if lockTimeoutSet(p) {
			f.Severity = Hint
			f.Message = fmt.Sprintf("CREATE TRIGGER %s takes SHARE ROW EXCLUSIVE on %s (bounded by lock_timeout): from then on the trigger runs in every write of both releases", ct.Trigname, name)
			f.Fix = "-- nothing to change if the trigger function is meant to run for the old release's writes too\n" + p.Stmt.Text() + ";"
		}
		p.Report(f)
	},
}
