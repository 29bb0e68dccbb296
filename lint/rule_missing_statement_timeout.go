package lint

import (
	"fmt"
	"strings"
)

var ruleMissingStatementTimeout = &Rule{
	ID:       "missing-statement-timeout",
	Severity: Warning,
	Summary:  "a statement that scans or rewrites a table in use, while holding a lock that blocks traffic, runs without statement_timeout",
	Doc: `A statement that scans or rewrites a table (a validated constraint, SET NOT NULL, a column type
change, a rewrite-forcing ADD COLUMN, CREATE INDEX, VACUUM FULL, a whole-table UPDATE in a
transaction that already holds an ACCESS EXCLUSIVE lock, ...) holds its lock for as long as the
table takes to read: on a table larger than expected, minutes in which reads or writes wait.
lock_timeout bounds only the wait for the lock, not the work done under it. Set a
statement_timeout that the table's size allows, so a runaway statement fails and releases the
lock (and the runner can report it) instead of stalling the service. Reported once per file, on
the first such statement. It does not fire when lint.assume_statement_timeout says the timeout
comes from the migration role or the runner, for tables created by the same file or an
unreleased one, nor for CONCURRENTLY operations, whose lock blocks no traffic (a file holding only
CREATE INDEX CONCURRENTLY, which cannot carry a SET of its own under golang-migrate, needs
nothing: set statement_timeout on the migration role).`,
	Check: func(p *Pass) {
		if p.Config.AssumeStatementTimeout || p.Tx.StatementTimeout.Set() {
			return
		}
		if p.once[onceKey{p.Rule, ""}] {
			return // reported in this file already
		}
		var lk Lock
		for _, l := range p.Locks {
			if l.Mode.BlocksTraffic() && p.ExistingNamed(l.Relation) && l.Mode > lk.Mode {
				lk = l
			}
		}
		held, holding := p.Tx.StrongestHeld()
		if lk.Mode == NoLock && !holding {
			return
		}
		long, ok := longRunning(p)
		if !ok || !p.FirstInFile("") {
			return
		}
		set := "SET LOCAL statement_timeout = '15min';"
		if !p.InBlock() || p.Config.Runner != RunnerGolangMigrate && !p.Tx.Explicit {
			set = "SET statement_timeout = '15min';"
		}
		// The finding's lock is the statement's own; the linter adds the
		// held one.
		what, blocked := fmt.Sprintf("while holding %s on %s", lk.Mode, DisplayName(lk.Relation)), blockedBy(lk)
		if lk.Mode == NoLock || holding && held.Lock.Mode > lk.Mode {
			what, blocked = "while the transaction holds "+held.String(), blockedBy(held.Lock)
		}
		if lk.Mode == NoLock {
			lk = long.Lock
		}
		target := DisplayName(long.Lock.Relation)
		text := p.Stmt.Text()
		if p.Stmt.Via != nil {
			text = p.Stmt.Via.Text() // the SET goes before the DO block or the call
		}
		f := Finding{
			Message: fmt.Sprintf("%s %s %s %s, and no statement_timeout is set: if %s is larger than expected, %s wait until it finishes",
				verb(p), costVerb(long.Cost), target, what, target, blocked),
			Lock:   lk,
			Cost:   long.Cost,
			Breaks: BreaksAvailability,
			Fix: set + " -- sized to the table: long enough for the work, short enough to give the lock back\n" +
				strings.TrimSpace(text) + ";",
		}
		if what, ok := aloneNonTransactional(p); ok {
			f.Message += "; " + what + " must be alone in its file under golang-migrate, so the timeout has to come from the migration role or the connection"
			f.Fix = roleTimeoutFix("statement_timeout", "15min")
		}
		p.Report(f)
	},
}

// longRules are the rules whose findings say that a statement scans or
// rewrites a table; missing-statement-timeout asks them about the
// statement. Those that can find a rewrite come first, since the first
// finding with a cost ends the search.
var longRules = uniqueRules(concat([]*Rule{
	ruleChangeColumnType,
	ruleAddColumnVolatileDefault,
	ruleAddColumnGeneratedStored,
	ruleAddColumnSerial,
	ruleVacuumFull,
	ruleCluster,
}, tableRules, lockRules, []*Rule{
	ruleSetNotNull,
	ruleAddNotNullColumnNoDefault,
	ruleDomainWithConstraint,
}))

func uniqueRules(rs []*Rule) []*Rule {
	seen := map[*Rule]bool{}
	var out []*Rule
	for _, r := range rs {
		if !seen[r] && r.Check != nil {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// longRunning returns the first finding (in longRules order) that says the
// statement scans or rewrites a relation with readers. In the lint loop the
// rules have already run on the statement and their findings were probed
// as they were reported; the long rules the configuration turns off, and
// every one outside the loop, run here on a shadow pass without reporting.
func longRunning(p *Pass) (Finding, bool) {
	probe := p.long
	if probe == nil {
		probe = &longProbe{}
	}
	shadow := *p
	shadow.once = map[onceKey]bool{}
	shadow.long = nil
	shadow.report = func(_ *Statement, f Finding) { probe.consider(p, shadow.Rule, f) }
	for i, r := range longRules {
		if probe.found && probe.rank <= i {
			break
		}
		if p.long != nil && p.long.ran[r] {
			continue
		}
		shadow.Rule = r
		r.Check(&shadow)
	}
	return probe.first, probe.found
}

// longProbe keeps the first long-running finding of a statement, by the
// rank of its rule in longRules.
type longProbe struct {
	ran   map[*Rule]bool // the long rules the lint loop runs
	first Finding
	rank  int
	found bool
}

// longRank is each long rule's index in longRules.
var longRank = func() map[*Rule]int {
	m := map[*Rule]int{}
	for i, r := range longRules {
		m[r] = i
	}
	return m
}()

// consider keeps f, reported by rule on p's statement, when it scans or
// rewrites a relation with readers and its rule ranks before the kept one.
func (lp *longProbe) consider(p *Pass, rule *Rule, f Finding) {
	rank, ok := longRank[rule]
	if !ok || lp.found && lp.rank <= rank || f.Cost == Instant {
		return
	}
	if f.Lock.Mode == NoLock && f.Lock.Relation == "" && len(p.Locks) > 0 {
		f.Lock = p.Locks[0] // as the linter fills it in
	}
	if f.Lock.Relation != "" && !p.ExistingNamed(f.Lock.Relation) {
		return
	}
	if ignoredOn(p, rule.ID) {
		return
	}
	lp.first, lp.rank, lp.found = f, rank, true
}

func costVerb(c Cost) string {
	if c == Rewrite {
		return "rewrites"
	}
	return "scans"
}

// blockedBy says whose queries wait on a lock.
func blockedBy(l Lock) string {
	if l.Mode >= AccessExclusive {
		return "reads and writes of " + DisplayName(l.Relation)
	}
	return "writes to " + DisplayName(l.Relation)
}

// ignoredOn reports whether a lockstep:ignore comment suppresses a rule on
// the statement (or lockstep:ignore-file in the whole file). The team has
// judged that finding (say, that the table is small and the scan short), so
// a timeout warning that rests on it would be noise.
func ignoredOn(p *Pass, id string) bool {
	for _, d := range p.File.Directives {
		if d.Verb != DirIgnore && d.Verb != DirIgnoreFile {
			continue
		}
		if rules, _ := parseIgnore(d); !contains(rules, id) {
			continue
		}
		if d.Verb == DirIgnoreFile {
			return true
		}
		// The comment's target is the first statement that starts after it.
		var target *Statement
		consider := func(s *Statement) {
			if s.Start >= d.End && (target == nil || s.Start < target.Start) {
				target = s
			}
		}
		for _, s := range p.File.Statements {
			consider(s)
			for _, n := range s.nested {
				consider(n)
			}
		}
		if target != nil && (target == p.Stmt || target == p.Stmt.Via) {
			return true
		}
	}
	return false
}
