package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Runner is how the migration tool sends a file's statements to PostgreSQL,
// which decides what runs inside a transaction.
type Runner string

const (
	// RunnerGolangMigrate is golang-migrate's postgres and pgx drivers by
	// default: the whole file is one query string, so PostgreSQL runs a file
	// of several statements as one implicit transaction.
	RunnerGolangMigrate Runner = "golang-migrate"
	// RunnerMultiStatement is golang-migrate with x-multi-statement=true: the
	// file is split at every semicolon (without regard to quoting) and each
	// piece runs on its own, in autocommit.
	RunnerMultiStatement Runner = "multi-statement"
	// RunnerPerStatement runs each statement in its own transaction, split
	// correctly (lockstep migrate, most other tools' "no transaction" mode).
	RunnerPerStatement Runner = "per-statement"
)

// Runners lists the valid runners.
var Runners = []Runner{RunnerGolangMigrate, RunnerMultiStatement, RunnerPerStatement}

// Setting is the effective value of a session setting such as lock_timeout.
type Setting struct {
	Value string // as written, e.g. "2s"; empty when not set
	Line  int
	Local bool // SET LOCAL: reverts at the end of the transaction
}

// Set reports whether the setting is in effect with a non-zero value.
func (s Setting) Set() bool { return s.Value != "" && s.Value != "0" }

// HeldLock is a lock an earlier statement of the same transaction took and
// still holds.
type HeldLock struct {
	Lock Lock
	Line int
}

// Tx is the transaction context of one statement.
type Tx struct {
	// InBlock is true when the statement runs inside a transaction block,
	// implicit (a multi-statement query string) or explicit (BEGIN).
	InBlock bool
	// Explicit is true between BEGIN and COMMIT written in the file.
	Explicit bool
	// MultiQuery is true when the file is sent as one query string holding
	// several statements (golang-migrate's default with more than one).
	MultiQuery bool
	// Held lists traffic-blocking locks on relations with readers taken by
	// earlier statements of the same transaction.
	Held             []HeldLock
	LockTimeout      Setting
	StatementTimeout Setting
	// LocalOutsideTx records a SET LOCAL of a timeout that had no effect
	// because no transaction was open (its line).
	LocalOutsideTx int
}

// StrongestHeld returns the strongest lock held from earlier statements.
func (t *Tx) StrongestHeld() (HeldLock, bool) {
	var best HeldLock
	for _, h := range t.Held {
		if h.Lock.Mode > best.Lock.Mode {
			best = h
		}
	}
	return best, best.Lock.Mode != NoLock
}

// txTracker walks a file's statements in order and knows each one's context.
type txTracker struct {
	runner  Runner
	current Tx
	file    *File
}

func newTxTracker(runner Runner, f *File) *txTracker {
	t := &txTracker{runner: runner, file: f}
	if runner == RunnerGolangMigrate && len(f.Statements) > 1 {
		t.current.MultiQuery = true
		t.current.InBlock = true
	}
	return t
}

// before returns the context of the statement about to run.
func (t *txTracker) before(s *Statement) Tx {
	tx := t.current
	tx.Held = append([]HeldLock(nil), t.current.Held...)
	if ts := s.Node.GetTransactionStmt(); ts != nil && ts.Kind == pg.TransactionStmtKind_TRANS_STMT_BEGIN ||
		ts != nil && ts.Kind == pg.TransactionStmtKind_TRANS_STMT_START {
		// BEGIN itself is not "in" the transaction it opens.
		return tx
	}
	return tx
}

// after records the effect of a statement that ran with the given locks.
func (t *txTracker) after(s *Statement, locks []Lock, line int) {
	n := s.Node
	if ts := n.GetTransactionStmt(); ts != nil {
		switch ts.Kind {
		case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
			t.current.Explicit = true
			t.current.InBlock = true
		case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK,
			pg.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED,
			pg.TransactionStmtKind_TRANS_STMT_PREPARE:
			t.endTx()
		}
		return
	}
	t.applySettings(s, line)
	if t.current.InBlock {
		for _, l := range locks {
			if l.Mode.BlocksTraffic() {
				t.current.Held = append(t.current.Held, HeldLock{Lock: l, Line: line})
			}
		}
	} else if !t.current.InBlock {
		// Autocommit: local settings vanish with the statement's transaction.
		if t.current.LockTimeout.Local {
			t.current.LockTimeout = Setting{}
		}
		if t.current.StatementTimeout.Local {
			t.current.StatementTimeout = Setting{}
		}
	}
}

func (t *txTracker) endTx() {
	t.current.Explicit = false
	t.current.Held = nil
	t.current.InBlock = t.current.MultiQuery
	if t.current.LockTimeout.Local {
		t.current.LockTimeout = Setting{}
	}
	if t.current.StatementTimeout.Local {
		t.current.StatementTimeout = Setting{}
	}
}

func (t *txTracker) applySettings(s *Statement, line int) {
	set := func(name, value string, local bool) {
		var dst *Setting
		switch strings.ToLower(name) {
		case "lock_timeout":
			dst = &t.current.LockTimeout
		case "statement_timeout":
			dst = &t.current.StatementTimeout
		default:
			return
		}
		if local && !t.current.InBlock {
			t.current.LocalOutsideTx = line
			return
		}
		*dst = Setting{Value: value, Line: line, Local: local}
	}
	if vs := s.Node.GetVariableSetStmt(); vs != nil {
		switch vs.Kind {
		case pg.VariableSetKind_VAR_SET_VALUE:
			var vals []string
			for _, a := range vs.Args {
				if v, ok := constString(a); ok {
					vals = append(vals, v)
				}
			}
			set(vs.Name, strings.Join(vals, " "), vs.IsLocal)
		case pg.VariableSetKind_VAR_SET_DEFAULT, pg.VariableSetKind_VAR_RESET:
			set(vs.Name, "", vs.IsLocal)
		case pg.VariableSetKind_VAR_RESET_ALL:
			set("lock_timeout", "", false)
			set("statement_timeout", "", false)
		}
		return
	}
	// SELECT set_config('lock_timeout', '2s', false)
	if sel := s.Node.GetSelectStmt(); sel != nil {
		for _, tn := range sel.TargetList {
			rt := tn.GetResTarget()
			if rt == nil {
				continue
			}
			fc := rt.Val.GetFuncCall()
			if funcName(fc) != "set_config" || len(fc.Args) != 3 {
				continue
			}
			name, ok1 := constString(fc.Args[0])
			value, ok2 := constString(fc.Args[1])
			local := false
			if ac := fc.Args[2].GetAConst(); ac != nil && ac.GetBoolval() != nil {
				local = ac.GetBoolval().Boolval
			}
			if ok1 && ok2 {
				set(name, value, local)
			}
		}
	}
}

// NonTransactional reports whether a statement refuses to run inside a
// transaction block, and names it (the migrator runs such statements on
// their own). pgVersion matters for ALTER TYPE ... ADD VALUE.
func NonTransactional(n *pg.Node, pgVersion int) (string, bool) {
	return nonTransactional(n, pgVersion)
}

// nonTransactional reports whether a statement refuses to run inside a
// transaction block (and so in a multi-statement query string), and names
// it. pgVersion matters for ALTER TYPE ... ADD VALUE.
func nonTransactional(n *pg.Node, pgVersion int) (string, bool) {
	switch {
	case n.GetIndexStmt() != nil && n.GetIndexStmt().Concurrent:
		return "CREATE INDEX CONCURRENTLY", true
	case n.GetDropStmt() != nil && n.GetDropStmt().Concurrent:
		return "DROP INDEX CONCURRENTLY", true
	case n.GetReindexStmt() != nil && hasOption(n.GetReindexStmt().Params, "concurrently"):
		return "REINDEX CONCURRENTLY", true
	case n.GetVacuumStmt() != nil && n.GetVacuumStmt().IsVacuumcmd:
		return "VACUUM", true
	case n.GetClusterStmt() != nil && n.GetClusterStmt().Relation == nil:
		// One transaction per table: PreventInTransactionBlock.
		return "CLUSTER without a table", true
	case n.GetCreatedbStmt() != nil:
		return "CREATE DATABASE", true
	case n.GetDropdbStmt() != nil:
		return "DROP DATABASE", true
	case n.GetAlterSystemStmt() != nil:
		return "ALTER SYSTEM", true
	case n.GetCreateTableSpaceStmt() != nil:
		return "CREATE TABLESPACE", true
	case n.GetAlterEnumStmt() != nil && n.GetAlterEnumStmt().OldVal == "" && pgVersion < 12:
		return "ALTER TYPE ... ADD VALUE", true
	case n.GetAlterTableStmt() != nil:
		for _, c := range n.GetAlterTableStmt().Cmds {
			if cmd := c.GetAlterTableCmd(); cmd != nil && cmd.Subtype == pg.AlterTableType_AT_DetachPartition {
				if pc := cmd.Def.GetPartitionCmd(); pc != nil && pc.Concurrent {
					return "DETACH PARTITION CONCURRENTLY", true
				}
			}
		}
	}
	return "", false
}

func hasOption(opts []*pg.Node, name string) bool {
	for _, o := range opts {
		if de := o.GetDefElem(); de != nil && strings.EqualFold(de.Defname, name) {
			if de.Arg == nil {
				return true
			}
			// VACUUM (FULL false), (FULL off), (FULL 0): the option is off.
			if v, ok := constString(de.Arg); ok {
				v = strings.ToLower(v)
				return v == "true" || v == "on" || v == "1" || v == "yes"
			}
			if iv := de.Arg.GetInteger(); iv != nil {
				return iv.Ival != 0
			}
			if b := de.Arg.GetBoolean(); b != nil {
				return b.Boolval
			}
			return true
		}
	}
	return false
}

func (h HeldLock) String() string {
	return fmt.Sprintf("%s on %s since line %d", h.Lock.Mode, DisplayName(h.Lock.Relation), h.Line)
}
