package migrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

// unit is what commits at once: a run of statements in one transaction, or
// one statement that cannot run in a transaction block (what names it).
type unit struct {
	stmts []*lint.Statement
	tx    bool
	what  string
}

// unitsOf splits a file into units. Without CONCURRENTLY (or another
// statement that refuses a transaction block) and without explicit
// BEGIN ... COMMIT blocks, a file is one unit: all or nothing, as
// golang-migrate runs it. Each non-transactional statement is a unit of its
// own; each explicit block is one; the statements between are one each.
//
// Errors are fault.Input naming file:line: ROLLBACK or a non-transactional
// statement inside an explicit block.
func unitsOf(m *Migration, pgVersion int) ([]unit, error) {
	var units []unit
	var cur *unit
	explicit := false
	flush := func() {
		if cur != nil && len(cur.stmts) > 0 {
			units = append(units, *cur)
		}
		cur = nil
	}
	lineOf := func(s *lint.Statement) int { l, _ := m.file.Source.Position(s.Start); return l }
	for _, s := range m.file.Statements {
		if ts := s.Node.GetTransactionStmt(); ts != nil {
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
				flush()
				explicit = true
				continue
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
				flush()
				explicit = false
				continue
			case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK, pg.TransactionStmtKind_TRANS_STMT_PREPARE,
				pg.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
				return nil, fault.Errorf(fault.Input, "%s:%d: %s in a migration: lockstep runs each block in a transaction of its own and commits it; remove it",
					m.Path, lineOf(s), strings.ToUpper(strings.Fields(s.Text())[0]))
			}
		}
		if what, ok := lint.NonTransactional(s.Node, pgVersion); ok {
			if explicit {
				return nil, fault.Errorf(fault.Input, "%s:%d: %s cannot run inside BEGIN ... COMMIT; move it out of the block", m.Path, lineOf(s), what)
			}
			flush()
			units = append(units, unit{stmts: []*lint.Statement{s}, what: what})
			continue
		}
		if cur == nil {
			cur = &unit{tx: true}
		}
		cur.stmts = append(cur.stmts, s)
	}
	flush()
	if len(units) == 0 {
		units = []unit{{tx: true}} // an empty file: only its version is written
	}
	return units, nil
}

// atomic reports whether a file commits as one transaction.
func atomic(units []unit) bool { return len(units) == 1 && units[0].tx }

// connect opens a connection of its own for one migration, so that SETs in
// the file do not leak into other work, with lock_timeout set.
func (m *Migrator) connect(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, m.connCfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SET lock_timeout = "+pgDuration(m.cfg.LockTimeout)); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// pgDuration renders a duration for SET, in milliseconds.
func pgDuration(d Duration) string {
	return fmt.Sprintf("'%dms'", time.Duration(d).Milliseconds())
}

// apply runs a plain (unbatched) migration file and records it: applied
// atomically with its version when it is one unit, else unit by unit with
// the progress in the ledger and the version dirty until the last unit.
func (m *Migrator) apply(ctx context.Context, f *Migration, st *stream) (time.Duration, error) {
	start := time.Now()
	units, err := unitsOf(f, m.pgVersion)
	if err != nil {
		return 0, err
	}
	conn, err := m.connect(ctx)
	if err != nil {
		return 0, m.classify(err, "connect for "+f.Label)
	}
	defer conn.Close(context.Background())

	first := 0
	resuming := false
	if !atomic(units) {
		run, ok, err := m.l.RunOf(ctx, f.Version)
		if err != nil {
			return 0, m.classify(err, f.Label)
		}
		if ok {
			first, resuming = run.UnitsDone, true
			fmt.Fprintf(m.o.Notes, "%s: resuming after %d of %d units (started %s by %s)\n", f.Label, run.UnitsDone, len(units), run.StartedAt.Format(time.RFC3339), run.Release)
		} else {
			// golang-migrate's own convention: dirty while part-way.
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if err := m.l.StartRun(ctx, tx, f.Version, m.o.Release, len(units)); err != nil {
					return err
				}
				return writeVersion(ctx, tx, st.qtable, f.Version, true)
			})
			if err != nil {
				return 0, m.classify(err, f.Label)
			}
		}
	}
	for i := first; i < len(units); i++ {
		u := units[i]
		last := i == len(units)-1
		book := func(ctx context.Context, tx pgx.Tx) error {
			if last {
				return m.finish(ctx, tx, f, st, time.Since(start))
			}
			return m.l.SetRunProgress(ctx, tx, f.Version, i+1)
		}
		if u.tx {
			err = m.retry(ctx, f, u, func(ctx context.Context) error { return m.runTx(ctx, conn, f, u, book) })
		} else {
			err = m.retry(ctx, f, u, func(ctx context.Context) error { return m.runAlone(ctx, conn, f, u, resuming && i == first, book) })
		}
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// finish writes the stream's version, marks the migration applied and
// audits it, in tx: the transaction of the migration's last unit.
func (m *Migrator) finish(ctx context.Context, tx pgx.Tx, f *Migration, st *stream, d time.Duration) error {
	if err := writeVersion(ctx, tx, st.qtable, f.Version, false); err != nil {
		return err
	}
	if err := m.l.MarkApplied(ctx, tx, f.Version, m.o.Release, m.o.Actor, d); err != nil {
		return err
	}
	if err := m.l.FinishRun(ctx, tx, f.Version); err != nil {
		return err
	}
	return m.l.AppendAudit(ctx, tx, ledger.Entry{Actor: m.o.Actor, Action: "migrate.applied", Release: m.o.Release,
		Details: map[string]any{"version": f.Version, "name": f.Label, "phase": f.Phase.String(), "duration_ms": d.Milliseconds()}})
}

// writeVersion sets a golang-migrate migrations table to one row, as
// golang-migrate's SetVersion does, inside the caller's transaction. DELETE
// rather than TRUNCATE: readers of the table never queue behind it.
func writeVersion(ctx context.Context, tx pgx.Tx, qtable string, v uint64, dirty bool) error {
	if _, err := tx.Exec(ctx, "DELETE FROM "+qtable); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+qtable+" (version, dirty) VALUES ($1, $2)", int64(v), dirty)
	return err
}

// runTx runs a transactional unit and its bookkeeping in one transaction.
func (m *Migrator) runTx(ctx context.Context, conn *pgx.Conn, f *Migration, u unit, book func(context.Context, pgx.Tx) error) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, s := range u.stmts {
		if _, err := tx.Exec(ctx, s.Text()); err != nil {
			return stmtErr{s, err}
		}
	}
	if err := book(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// runAlone runs a statement that cannot run in a transaction block, then
// its bookkeeping. Before CREATE INDEX CONCURRENTLY it looks for an index of
// that name: an INVALID one (left by a build that failed or was cut short)
// is dropped and built again; a valid one is kept when the statement says
// IF NOT EXISTS or the unit is being resumed.
func (m *Migrator) runAlone(ctx context.Context, conn *pgx.Conn, f *Migration, u unit, resuming bool, book func(context.Context, pgx.Tx) error) error {
	s := u.stmts[0]
	skip, err := m.prepareAlone(ctx, conn, f, s, resuming)
	if err != nil {
		return err
	}
	if !skip {
		if waitsForSnapshots(s.Node) {
			// Its waits for older transactions block no application
			// query, and a lock_timeout would only leave an INVALID index.
			if _, err := conn.Exec(ctx, "SET lock_timeout = 0"); err != nil {
				return err
			}
		}
		_, err := conn.Exec(ctx, s.Text())
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), "SET lock_timeout = "+pgDuration(m.cfg.LockTimeout)); rerr != nil && err == nil {
			err = rerr
		}
		if err != nil {
			return stmtErr{s, err}
		}
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return book(ctx, tx) })
}

func waitsForSnapshots(n *pg.Node) bool {
	if is := n.GetIndexStmt(); is != nil && is.Concurrent {
		return true
	}
	return n.GetReindexStmt() != nil
}

// prepareAlone decides whether a non-transactional statement still has to
// run, and drops an INVALID index in the way.
func (m *Migrator) prepareAlone(ctx context.Context, conn *pgx.Conn, f *Migration, s *lint.Statement, resuming bool) (skip bool, err error) {
	switch n := s.Node; {
	case n.GetIndexStmt() != nil && n.GetIndexStmt().Concurrent:
		is := n.GetIndexStmt()
		if is.Idxname == "" {
			return false, nil
		}
		schema, valid, ok, err := indexState(ctx, conn, is.Relation, is.Idxname)
		if err != nil || !ok {
			return false, err
		}
		if valid {
			return is.IfNotExists || resuming, nil
		}
		fmt.Fprintf(m.o.Notes, "%s: index %s is INVALID (a concurrent build failed or was cut short): dropping it and building it again\n", f.Label, is.Idxname)
		if _, err := conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+quoteIdent(schema)+"."+quoteIdent(is.Idxname)); err != nil {
			return false, err
		}
		_ = m.l.Audit(ctx, ledger.Entry{Actor: m.o.Actor, Action: "migrate.invalid-index-rebuilt", Release: m.o.Release,
			Details: map[string]any{"version": f.Version, "name": f.Label, "index": schema + "." + is.Idxname}})
		return false, nil
	case n.GetDropStmt() != nil && n.GetDropStmt().Concurrent && resuming:
		// Resumed after the drop may have committed: gone is done.
		for _, obj := range n.GetDropStmt().Objects {
			var names []string
			for _, item := range obj.GetList().GetItems() {
				names = append(names, item.GetString_().GetSval())
			}
			var exists bool
			if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, quotedPath(names)).Scan(&exists); err != nil {
				return false, err
			}
			if exists {
				return false, nil
			}
		}
		return true, nil
	}
	return false, nil
}

func quotedPath(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ".")
}

// indexState looks up an index by name on a table: its schema, whether it
// is valid, whether it exists.
func indexState(ctx context.Context, conn *pgx.Conn, table *pg.RangeVar, name string) (schema string, valid, ok bool, err error) {
	t := quoteIdent(table.Relname)
	if table.Schemaname != "" {
		t = quoteIdent(table.Schemaname) + "." + t
	}
	err = conn.QueryRow(ctx, `
		SELECT n.nspname, i.indisvalid FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.indrelid = to_regclass($1) AND c.relname = $2`, t, name).Scan(&schema, &valid)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, false, nil
	}
	return schema, valid, err == nil, err
}

// stmtErr carries the statement an error came from.
type stmtErr struct {
	s   *lint.Statement
	err error
}

func (e stmtErr) Error() string { return e.err.Error() }
func (e stmtErr) Unwrap() error { return e.err }

// retry runs one attempt of a unit, and again with exponential backoff and
// jitter while its lock is not granted within lock_timeout (SQLSTATE
// 55P03), up to retry_for. Every other error ends it, classified.
func (m *Migrator) retry(ctx context.Context, f *Migration, u unit, attempt func(context.Context) error) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 250 * time.Millisecond
	b.RandomizationFactor = 0.5
	b.Multiplier = 2
	b.MaxInterval = 30 * time.Second
	tries := 0
	var blocker string
	began := time.Now()
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		tries++
		watch := m.watchBlockers(ctx)
		err := attempt(ctx)
		if who := watch(); who != "" {
			blocker = who
		}
		switch {
		case err == nil:
			return struct{}{}, nil
		case isLockTimeout(err):
			return struct{}{}, err
		}
		return struct{}{}, backoff.Permanent(err)
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(time.Duration(m.cfg.RetryFor)),
		backoff.WithNotify(func(err error, next time.Duration) {
			by := ""
			if blocker != "" {
				by = " (blocked by " + blocker + ")"
			}
			fmt.Fprintf(m.o.Notes, "%s: lock not granted within %s%s; the application's queries go on; retrying in %s (attempt %d)\n",
				f.Label, time.Duration(m.cfg.LockTimeout), by, next.Round(10*time.Millisecond), tries+1)
		}))
	if err == nil {
		return nil
	}
	if isLockTimeout(err) {
		by := ""
		if blocker != "" {
			by = "; last blocked by " + blocker
		}
		return fault.Errorf(fault.Failed, "%s: lock not granted within %s in %d attempts over %s%s; gave up (migrations.retry_for %s); nothing of it was committed",
			f.Label, time.Duration(m.cfg.LockTimeout), tries, time.Since(began).Round(time.Second), by, time.Duration(m.cfg.RetryFor))
	}
	var se stmtErr
	if errors.As(err, &se) && !connectionLost(err) && pgError(err) != nil {
		return sqlFailure(f, se.s, err)
	}
	return m.classify(err, f.Label)
}

// watchBlockers samples, while an attempt runs, which sessions block
// lockstep's own ones; stop returns the last it saw.
func (m *Migrator) watchBlockers(ctx context.Context) (stop func() string) {
	every := time.Duration(m.cfg.LockTimeout) / 2
	if every < 50*time.Millisecond {
		every = 50 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var seen string
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var who string
			err := m.l.Pool().QueryRow(ctx, `
				SELECT coalesce(string_agg(format('pid %s %L, %s for %ss', b.pid, b.application_name, b.state,
					round(extract(epoch FROM now() - coalesce(b.xact_start, b.query_start)))), '; '), '')
				FROM pg_stat_activity w, LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
				JOIN pg_stat_activity b ON b.pid = bp.pid
				WHERE w.application_name = $1 AND w.datname = current_database() AND w.wait_event_type = 'Lock'`, m.appName).Scan(&who)
			if err == nil && who != "" {
				mu.Lock()
				seen = who
				mu.Unlock()
			}
		}
	}()
	return func() string {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}
