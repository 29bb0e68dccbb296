package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleValidateInSameTransaction = &Rule{
	ID:       "validate-in-same-transaction",
	Severity: Error,
	Summary:  "VALIDATE CONSTRAINT runs in a transaction that already holds a lock blocking traffic",
	Doc: `VALIDATE CONSTRAINT scans the table under SHARE UPDATE EXCLUSIVE, which lets reads and writes
through: that is the point of adding a constraint NOT VALID first. But locks are held until the
transaction ends, so a VALIDATE in the same transaction as the NOT VALID add keeps the add's
ACCESS EXCLUSIVE (CHECK) or SHARE ROW EXCLUSIVE (foreign key, on both tables) for the whole scan,
and so does a VALIDATE after any other statement that took a lock blocking traffic. golang-migrate
sends a file of several statements as one query string, which PostgreSQL runs as one
transaction: the add and the VALIDATE must be in different files. With a runner that commits each
statement (x-multi-statement, per-statement) only an explicit BEGIN ... COMMIT around both is a
problem. Tables created by the same file or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		at, cmds, t := lockAlter(p)
		if at == nil || !p.InBlock() {
			return
		}
		for _, cmd := range cmds {
			if cmd.Subtype != pg.AlterTableType_AT_ValidateConstraint {
				continue
			}
			held, ok := p.Tx.StrongestHeld()
			if !ok {
				continue
			}
			table := Name(at.Relation)
			var msg string
			ct := t.Constraint(cmd.Name)
			if add, same := heldByAdd(p, ct, QualifiedName(at.Relation)); same {
				held = add
				msg = fmt.Sprintf("VALIDATE of %s runs in the same transaction as its NOT VALID add at line %d: the %s taken there on %s is held through the whole scan, so NOT VALID gains nothing",
					cmd.Name, add.Line, add.Lock.Mode, DisplayName(add.Lock.Relation))
			} else {
				msg = fmt.Sprintf("VALIDATE of %s scans %s while this transaction holds %s: that lock stays held through the whole scan",
					cmd.Name, table, held)
			}
			where := laterFileNote
			switch {
			case p.Tx.Explicit && p.Config.Runner != RunnerGolangMigrate:
				where = "-- after the COMMIT, in a transaction of its own:\n"
			case p.Stmt.Via != nil:
				where = laterFileNote + "-- (outside the " + p.Stmt.Context + ")\n"
			}
			p.Report(Finding{
				Message: msg,
				// What VALIDATE itself takes; Held names the stronger lock
				// that the transaction keeps through the scan.
				Lock:   Lock{Mode: ShareUpdateExclusive, Relation: QualifiedName(at.Relation)},
				Cost:   Scan,
				Breaks: BreaksAvailability,
				Held:   held.String(),
				Fix:    where + fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", rvSQL(at.Relation), identSQL(cmd.Name)),
			})
		}
	},
}

// heldByAdd finds the lock the NOT VALID add of a constraint took earlier
// in the same transaction.
func heldByAdd(p *Pass, ct *Constraint, table string) (HeldLock, bool) {
	if ct == nil || ct.Origin.File != p.File.Source.Path {
		return HeldLock{}, false
	}
	for _, h := range p.Tx.Held {
		if h.Line == ct.Origin.Line && h.Lock.Relation == table {
			return h, true
		}
	}
	return HeldLock{}, false
}
