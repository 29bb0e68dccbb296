package lint

import (
	"fmt"
	"strings"
)

var ruleMissingLockTimeout = &Rule{
	ID:       "missing-lock-timeout",
	Severity: Error,
	Summary:  "a statement that blocks traffic while it waits for its lock runs without lock_timeout",
	Doc: `PostgreSQL queues lock requests. A statement that needs a lock which blocks reads or writes
(ACCESS EXCLUSIVE for most ALTER TABLE forms, SHARE for CREATE INDEX, ...) waits behind any
transaction that holds a conflicting lock on the table, even a long SELECT or an idle-in-transaction
session, and every query on the table then queues behind it: a catalog-only change can stall
all traffic for minutes. Set a short lock_timeout (1-5 s) before such statements and let the
runner retry (lockstep migrate retries with backoff). It is reported once per file, on the
first statement that needs it. It does not fire when lint.assume_lock_timeout says the timeout
comes from the migration role or the runner, nor for CONCURRENTLY operations (their lock
blocks no traffic), so a file holding only CREATE INDEX CONCURRENTLY, which cannot carry a
SET of its own under golang-migrate, needs nothing. A statement that blocks traffic but must be
alone in its file too (VACUUM FULL, CLUSTER of a partitioned table) is still reported, with the
timeout on the migration role or the connection as the fix.`,
	Check: func(p *Pass) {
		if p.Config.AssumeLockTimeout || p.Tx.LockTimeout.Set() || p.Stmt.Via != nil {
			return
		}
		var lk Lock
		for _, l := range p.Locks {
			if l.Mode.BlocksTraffic() && p.ExistingNamed(l.Relation) && l.Mode > lk.Mode {
				lk = l
			}
		}
		if lk.Mode == NoLock || !p.FirstInFile("") {
			return
		}
		set := "SET LOCAL lock_timeout = '2s';"
		if !p.Tx.InBlock || p.Config.Runner != RunnerGolangMigrate {
			set = "SET lock_timeout = '2s';"
		}
		if p.Tx.Explicit {
			set = "SET LOCAL lock_timeout = '2s';"
		}
		msg := fmt.Sprintf("%s needs %s on %s and no lock_timeout is set: while it waits for the lock, every query on %s queues behind it",
			verb(p), lk.Mode, DisplayName(lk.Relation), DisplayName(lk.Relation))
		if p.Tx.LocalOutsideTx > 0 {
			msg += fmt.Sprintf(" (the SET LOCAL at line %d has no effect outside a transaction: use SET)", p.Tx.LocalOutsideTx)
		}
		f := Finding{
			Message:    msg,
			Lock:       lk,
			Breaks:     BreaksAvailability,
			Fix:        set + "\n" + strings.TrimSpace(p.Stmt.Text()) + ";",
			Suggestion: set + "\n" + p.StatementLines(),
		}
		if what, ok := aloneNonTransactional(p); ok {
			f.Message += "; " + what + " must be alone in its file under golang-migrate, so the timeout has to come from the migration role or the connection"
			f.Fix, f.Suggestion = roleTimeoutFix("lock_timeout", "2s"), ""
		}
		p.Report(f)
	},
}

// aloneNonTransactional reports whether the statement refuses a transaction
// block and is alone in a golang-migrate file, as it has to be: a SET in
// front of it would make the file two statements, which golang-migrate
// sends as one implicit transaction, and break it. It names the statement.
func aloneNonTransactional(p *Pass) (string, bool) {
	if p.Config.Runner != RunnerGolangMigrate || !p.OnlyStatement() {
		return "", false
	}
	if what, ok := nonTransactional(p.Node(), p.PGVersion()); ok {
		return what, true
	}
	return clusterOfPartitioned(p)
}

// roleTimeoutFix sets a timeout where a file that must hold one statement
// gets it from: the role the migrations run as, or the connection.
func roleTimeoutFix(setting, value string) string {
	return fmt.Sprintf(`-- not in this file (a SET would share its transaction): once, as the role that runs the migrations
ALTER ROLE CURRENT_USER SET %[1]s = '%[2]s';
-- or in the migration URL: ...?options=-c%%20%[1]s%%3D%[2]s`, setting, value)
}

// verb names the statement for messages: "ALTER TABLE", "CREATE INDEX", ...
func verb(p *Pass) string {
	text := strings.TrimSpace(p.Stmt.Text())
	words := strings.Fields(text)
	if len(words) == 0 {
		return "the statement"
	}
	w := strings.ToUpper(words[0])
	if len(words) > 1 {
		switch w {
		case "ALTER", "CREATE", "DROP", "REFRESH", "LOCK":
			second := strings.ToUpper(words[1])
			if second == "UNIQUE" && len(words) > 2 {
				return w + " UNIQUE " + strings.ToUpper(words[2])
			}
			return w + " " + second
		}
	}
	return w
}
