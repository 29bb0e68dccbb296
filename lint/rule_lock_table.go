package lint

import (
	"fmt"
	"strings"
)

var ruleLockTable = &Rule{
	ID:       "lock-table",
	Severity: Warning,
	Summary:  "LOCK TABLE in a migration holds a traffic-blocking lock until the transaction ends",
	Doc: `LOCK TABLE takes the lock (ACCESS EXCLUSIVE unless a mode is named) and keeps it until the
transaction ends: in golang-migrate's default mode that is the end of the file, so every statement
after it, however slow, runs with the table's reads (or writes) blocked. The statements that follow
take the locks they need on their own; a LOCK TABLE only makes them longer. The one legitimate use
is taking several tables' locks in a fixed order to avoid a deadlock with the application: then
keep the transaction short, set lock_timeout, and suppress the finding with a reason. Outside a
transaction block (a file of one statement, or a runner that commits each statement) LOCK TABLE
fails outright. Modes that block no reads or writes (ACCESS SHARE to SHARE UPDATE EXCLUSIVE), and
tables created by the same file or an unreleased one, are not flagged.`,
	Check: func(p *Pass) {
		ls := p.Node().GetLockStmt()
		if ls == nil {
			return
		}
		mode := lockStmtMode(ls.Mode)
		if !mode.BlocksTraffic() {
			return
		}
		var tables []string
		var first string
		for _, r := range ls.Relations {
			rv := r.GetRangeVar()
			if rv == nil || !p.Existing(rv) {
				continue
			}
			if first == "" {
				first = QualifiedName(rv)
			}
			tables = append(tables, Name(rv))
		}
		if len(tables) == 0 {
			return
		}
		f := Finding{Lock: Lock{Mode: mode, Relation: first}, Breaks: BreaksAvailability}
		if !p.InBlock() {
			f.Severity = Error
			f.Breaks = BreaksNew
			f.Message = fmt.Sprintf("LOCK TABLE %s outside a transaction block fails (\"LOCK TABLE can only be used in transaction blocks\")", joinNames(tables))
			f.Fix = "-- remove it: the statements that need a lock take it themselves"
			p.Report(f)
			return
		}
		later := laterInTransaction(p)
		whose := "its"
		if len(tables) > 1 {
			whose = "their"
		}
		f.Message = fmt.Sprintf("LOCK TABLE %s takes %s, blocking %s %s until the transaction ends", joinNames(tables), mode, whose, blocksWhat(mode))
		switch n := len(later); {
		case n == 1:
			f.Message += ", through the statement after it"
		case n > 1:
			f.Message += fmt.Sprintf(", through the %d statements after it", n)
		}
		f.Fix = "-- remove it: each later statement takes the lock it needs, for as short as it needs it,\n" +
			"-- bounded by lock_timeout:\nSET LOCAL lock_timeout = '2s';\n" +
			"-- or, if it orders locks to avoid a deadlock, keep it with a reason:\n-- lockstep:ignore lock-table <reason>\n" + strings.TrimSpace(p.Stmt.Text()) + ";"
		p.Report(f)
	},
}
