// Package trace runs migrations against a throwaway PostgreSQL database and
// reports the locks they actually take, from pg_locks: on which relation, in
// which mode, for how long, and whether a table was rewritten (its
// relfilenode changed) or scanned. It belongs to the migrator and checks
// lint's lock model against the real server.
//
// A traced file runs inside one transaction that is rolled back: after each
// statement, the session's own locks are read from pg_locks inside the open
// transaction, so every lock is seen, however short the statement. A file
// holding a statement that cannot run in a transaction (CREATE INDEX
// CONCURRENTLY, VACUUM, ...) runs for real, statement by statement, while a
// second connection samples its locks; a gate connection per table holds
// SHARE on it until the statement is seen queueing for it, so the mode it
// asks for on each table is observed, not guessed.
package trace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// Lock is the strongest lock a statement (or a file) took on one relation.
type Lock struct {
	// Relation is schema-qualified (public.users).
	Relation string
	// Kind is table, partitioned table, index, sequence, view,
	// materialized view, ...
	Kind string
	Mode lint.LockMode
	// Held is how long the lock stays held: from the statement that took it
	// to the end of its transaction, counting only the statements' own run
	// time (not the tracer's queries, nor the gate's wait).
	Held time.Duration
	// New marks a relation the traced file created: no other session can
	// see it before the file commits.
	New bool
	// Before is the strongest mode the transaction already held on the
	// relation from an earlier statement (line BeforeLine). PostgreSQL lists
	// a lock once per mode, so whether this statement asked for that mode
	// again cannot be seen; Mode is then what it added (NoLock: nothing).
	Before     lint.LockMode
	BeforeLine int
}

// Statement is one traced statement.
type Statement struct {
	Index int
	Line  int
	// SQL is the statement's text.
	SQL      string
	Duration time.Duration
	// Locks are the locks the statement acquired (not already held from an
	// earlier statement of the transaction), strongest per relation.
	Locks []Lock
	// Rewritten lists the tables and indexes whose storage the statement
	// replaced (relfilenode changed): a rewrite, a rebuild or a TRUNCATE.
	Rewritten []string
	// Scanned lists the tables the statement read sequentially.
	Scanned []string
	// Sampled is true when the statement ran outside a transaction and its
	// locks were sampled from a second connection.
	Sampled bool
	// Skipped says why the statement did not run (transaction control the
	// trace replaces by its own transaction; an earlier failure).
	Skipped string
	Err     string
}

// File is one traced migration file.
type File struct {
	Path string
	// RolledBack is true when the file ran inside a transaction the tracer
	// rolled back; false when it ran for real (non-transactional statements).
	RolledBack bool
	Statements []Statement
	// Locks are the file's locks, strongest per relation, each with how long
	// it was held.
	Locks []Lock
	// Failed is true when a statement failed.
	Failed bool
}

// Report is a trace of some files after a history.
type Report struct {
	Server string
	// History is the number of files replayed before the traced ones.
	History int
	Files   []File
}

// Failed reports whether a traced statement failed.
func (r *Report) Failed() bool {
	for _, f := range r.Files {
		if f.Failed {
			return true
		}
	}
	return false
}

// Options tune a trace.
type Options struct {
	// Runner decides how long locks are held: golang-migrate runs a file of
	// several statements as one transaction, the other runners commit each
	// statement (explicit BEGIN ... COMMIT blocks aside).
	Runner lint.Runner
	// Timeout bounds each statement (statement_timeout and lock_timeout of
	// the tracing session, default 1m).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Session is a connection to a scratch database that traces statements.
type Session struct {
	url    string
	conn   *pgx.Conn
	watch  *pgx.Conn
	opts   Options
	log    *slog.Logger
	server string
}

// Connect opens a session. Errors are fault.Unavailable.
func Connect(ctx context.Context, url string, opts Options) (*Session, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	if opts.Runner == "" {
		opts.Runner = lint.RunnerGolangMigrate
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{url: url, opts: opts, log: log}
	var err error
	if s.conn, err = connect(ctx, url); err != nil {
		return nil, err
	}
	if s.watch, err = connect(ctx, url); err != nil {
		s.conn.Close(ctx)
		return nil, err
	}
	ms := fmt.Sprint(opts.Timeout.Milliseconds())
	if _, err := s.conn.Exec(ctx, "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false)", ms); err != nil {
		s.Close()
		return nil, fault.Wrap(fault.Unavailable, err, "database")
	}
	if err := s.conn.QueryRow(ctx, "SELECT current_setting('server_version')").Scan(&s.server); err != nil {
		s.Close()
		return nil, fault.Wrap(fault.Unavailable, err, "database")
	}
	return s, nil
}

func connect(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "--database: %s", redact(err))
	}
	cfg.RuntimeParams["application_name"] = "lockstep trace"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fault.Errorf(fault.Unavailable, "database %s:%d: %s", cfg.Host, cfg.Port, redact(err))
	}
	return c, nil
}

// redact keeps a connection error to its cause: pgx errors may quote the
// connection string, password included.
func redact(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		// pgx tries each address and TLS mode and joins their errors with
		// newlines: the last is the one that explains.
		lines := strings.Split(strings.TrimSpace(ce.Unwrap().Error()), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		return "cannot parse the connection URL"
	}
	return msg
}

// Server is the server's version.
func (s *Session) Server() string { return s.server }

// Close closes the session's connections.
func (s *Session) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.conn != nil {
		s.conn.Close(ctx)
	}
	if s.watch != nil {
		s.watch.Close(ctx)
	}
}

// Empty reports whether the database holds no table, view or sequence
// outside the system schemas.
func (s *Session) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND `+userSchemas).Scan(&n)
	return n == 0, err
}

const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'`

// Apply runs a history file for real, as golang-migrate does: the whole file
// as one query string. Errors are fault.Input naming the file.
func (s *Session) Apply(ctx context.Context, path, sql string) error {
	if _, err := s.conn.PgConn().Exec(ctx, sql).ReadAll(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fault.Errorf(fault.Input, "%s: replaying it failed: %s", path, pgMessage(err))
	}
	return nil
}

func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.Detail != "" {
			msg += " (" + pe.Detail + ")"
		}
		return msg
	}
	return err.Error()
}

// Run replays the history into an empty database at url, then traces each
// file. Errors: fault.Unavailable (the database), fault.Usage (a database
// that is not empty), fault.Input (a history file that fails).
func Run(ctx context.Context, url string, history, traced []*lint.File, opts Options) (*Report, error) {
	s, err := Connect(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if len(history) > 0 {
		empty, err := s.Empty(ctx)
		if err != nil {
			return nil, fault.Wrap(fault.Unavailable, err, "database")
		}
		if !empty {
			return nil, fault.Errorf(fault.Usage, "--database: the database is not empty: lockstep trace replays %d history files into an empty scratch database (create one, or pass --existing-schema to trace against the schema it has)", len(history))
		}
	}
	rep := &Report{Server: s.server, History: len(history)}
	for _, f := range history {
		if err := s.Apply(ctx, f.Source.Path, f.Source.Text); err != nil {
			return nil, err
		}
	}
	for _, f := range traced {
		ft, err := s.Trace(ctx, f)
		if err != nil {
			return nil, err
		}
		rep.Files = append(rep.Files, ft)
	}
	return rep, nil
}

// relation is a row of pg_class.
type relation struct {
	name     string // schema.name
	kind     string
	filenode uint32
}

var kindNames = map[string]string{"r": "table", "p": "partitioned table", "i": "index", "I": "partitioned index",
	"S": "sequence", "v": "view", "m": "materialized view", "f": "foreign table", "c": "type", "t": "toast"}

func (s *Session) relations(ctx context.Context, c *pgx.Conn) (map[uint32]relation, error) {
	rows, err := c.Query(ctx, `SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relfilenode
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind <> 't' AND `+userSchemas)
	if err != nil {
		return nil, err
	}
	out := map[uint32]relation{}
	for rows.Next() {
		var oid, fn uint32
		var schema, name, kind string
		if err := rows.Scan(&oid, &schema, &name, &kind, &fn); err != nil {
			return nil, err
		}
		out[oid] = relation{name: schema + "." + name, kind: kindNames[kind], filenode: fn}
	}
	return out, rows.Err()
}

type lockKey struct {
	oid  uint32
	mode lint.LockMode
}

var pgModes = map[string]lint.LockMode{
	"AccessShareLock": lint.AccessShare, "RowShareLock": lint.RowShare, "RowExclusiveLock": lint.RowExclusive,
	"ShareUpdateExclusiveLock": lint.ShareUpdateExclusive, "ShareLock": lint.Share,
	"ShareRowExclusiveLock": lint.ShareRowExclusive, "ExclusiveLock": lint.Exclusive, "AccessExclusiveLock": lint.AccessExclusive,
}

// ownLocks reads the relation locks of the session's own backend.
func (s *Session) ownLocks(ctx context.Context) (map[lockKey]bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT relation, mode FROM pg_locks
		WHERE pid = pg_backend_pid() AND locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	if err != nil {
		return nil, err
	}
	out := map[lockKey]bool{}
	for rows.Next() {
		var oid uint32
		var mode string
		if err := rows.Scan(&oid, &mode); err != nil {
			return nil, err
		}
		out[lockKey{oid, pgModes[mode]}] = true
	}
	return out, rows.Err()
}

// seqScans reads the current transaction's sequential scans per table.
func (s *Session) seqScans(ctx context.Context) (map[uint32]int64, error) {
	rows, err := s.conn.Query(ctx, `SELECT relid, seq_scan FROM pg_stat_xact_user_tables`)
	if err != nil {
		return nil, err
	}
	out := map[uint32]int64{}
	for rows.Next() {
		var oid uint32
		var n int64
		if err := rows.Scan(&oid, &n); err != nil {
			return nil, err
		}
		out[oid] = n
	}
	return out, rows.Err()
}

// txControl names transaction control a file may hold, which the trace's
// own transaction replaces.
func txControl(st *lint.Statement) (kind string, ok bool) {
	ts := st.Node.GetTransactionStmt()
	if ts == nil {
		return "", false
	}
	switch ts.Kind {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
		return "begin", true
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK,
		pg.TransactionStmtKind_TRANS_STMT_PREPARE, pg.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED,
		pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return "end", true
	}
	return "", false
}

// Trace traces one file. A failing statement is reported in the result, not
// as an error; errors are the tracer's own (fault.Unavailable).
func (s *Session) Trace(ctx context.Context, f *lint.File) (File, error) {
	ft := File{Path: f.Source.Path}
	if f.Err != nil {
		return ft, fault.Errorf(fault.Input, "%s", f.Err)
	}
	concurrent := false
	for _, st := range f.Statements {
		if nonTransactional(st) {
			concurrent = true
		}
	}
	var err error
	if concurrent {
		err = s.traceForReal(ctx, f, &ft)
	} else {
		ft.RolledBack = true
		err = s.traceInTx(ctx, f, &ft)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ft, ctx.Err()
		}
		return ft, fault.Wrap(fault.Unavailable, err, "trace "+f.Source.Path)
	}
	s.fileLocks(f, &ft)
	return ft, nil
}

func (s *Session) traceInTx(ctx context.Context, f *lint.File, ft *File) error {
	if _, err := s.conn.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	defer func() {
		_, _ = s.conn.PgConn().Exec(context.WithoutCancel(ctx), "ROLLBACK").ReadAll()
	}()
	held, err := s.ownLocks(ctx)
	if err != nil {
		return err
	}
	start, err := s.relations(ctx, s.conn)
	if err != nil {
		return err
	}
	before := start
	scans, err := s.seqScans(ctx)
	if err != nil {
		return err
	}
	failed := false
	strongest := map[uint32]lint.LockMode{}
	since := map[uint32]int{}
	for _, st := range f.Statements {
		ts := Statement{Index: st.Index, Line: line(f, st), SQL: strings.TrimSpace(st.Text())}
		if failed {
			ts.Skipped = "not run: an earlier statement failed"
			ft.Statements = append(ft.Statements, ts)
			continue
		}
		if _, ok := txControl(st); ok {
			ts.Skipped = "not run: the trace runs the whole file in one transaction of its own, which it rolls back"
			ft.Statements = append(ft.Statements, ts)
			continue
		}
		t0 := time.Now()
		_, err := s.conn.PgConn().Exec(ctx, st.Text()).ReadAll()
		ts.Duration = time.Since(t0)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ts.Err = pgMessage(err)
			ft.Failed, failed = true, true
			ft.Statements = append(ft.Statements, ts)
			continue
		}
		now, err := s.ownLocks(ctx)
		if err != nil {
			return err
		}
		after, err := s.relations(ctx, s.conn)
		if err != nil {
			return err
		}
		sc, err := s.seqScans(ctx)
		if err != nil {
			return err
		}
		// Names as they were before the statement: a renamed relation is
		// reported under the name the statement used.
		names := merge(after, before)
		got := map[uint32]lint.LockMode{}
		for k := range now {
			if !held[k] && k.mode > got[k.oid] {
				got[k.oid] = k.mode
			}
		}
		ts.Locks = locksOf(got, names, start)
		// Relations the statement names on which the transaction already
		// held a lock: say so, rather than show nothing.
		byName := map[string]uint32{}
		for oid, r := range names {
			byName[r.name] = oid
		}
		listed := map[string]int{}
		for i, l := range ts.Locks {
			listed[l.Relation] = i
		}
		for _, rel := range Relations(st) {
			oid, ok := byName[rel]
			if !ok || strongest[oid] == lint.NoLock {
				continue
			}
			if i, ok := listed[rel]; ok {
				ts.Locks[i].Before, ts.Locks[i].BeforeLine = strongest[oid], since[oid]
				continue
			}
			r := names[oid]
			_, existed := start[oid]
			ts.Locks = append(ts.Locks, Lock{Relation: rel, Kind: r.kind, New: !existed, Before: strongest[oid], BeforeLine: since[oid]})
			listed[rel] = len(ts.Locks) - 1
		}
		for oid, m := range got {
			if m > strongest[oid] {
				strongest[oid], since[oid] = m, ts.Line
			}
		}
		ts.Rewritten = rewritten(before, after)
		for oid, n := range sc {
			if n > scans[oid] {
				ts.Scanned = append(ts.Scanned, names[oid].name)
			}
		}
		sort.Strings(ts.Scanned)
		held, before, scans = now, after, sc
		ft.Statements = append(ft.Statements, ts)
	}
	return nil
}

func line(f *lint.File, st *lint.Statement) int {
	l, _ := f.Source.Position(st.Start)
	return l
}

func merge(a, b map[uint32]relation) map[uint32]relation {
	out := make(map[uint32]relation, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// locksOf turns modes by oid into Locks, strongest first then by name;
// relations absent from start are new.
func locksOf(got map[uint32]lint.LockMode, names, start map[uint32]relation) []Lock {
	var out []Lock
	for oid, m := range got {
		r, ok := names[oid]
		if !ok {
			continue // a system relation
		}
		_, existed := start[oid]
		out = append(out, Lock{Relation: r.name, Kind: r.kind, Mode: m, New: !existed})
	}
	sortLocks(out)
	return out
}

func sortLocks(ls []Lock) {
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Mode != ls[j].Mode {
			return ls[i].Mode > ls[j].Mode
		}
		return ls[i].Relation < ls[j].Relation
	})
}

func rewritten(before, after map[uint32]relation) []string {
	var out []string
	for oid, a := range after {
		if b, ok := before[oid]; ok && b.filenode != 0 && a.filenode != b.filenode {
			out = append(out, a.name)
		}
	}
	sort.Strings(out)
	return out
}

// fileLocks fills how long each lock was held and the file's strongest
// locks: a lock lasts from the statement that took it to the end of its
// transaction (the file, under golang-migrate; the statement itself, or its
// BEGIN ... COMMIT block, otherwise).
func (s *Session) fileLocks(f *lint.File, ft *File) {
	ends := make([]int, len(ft.Statements)) // index of the last statement of each one's transaction
	oneTx := ft.RolledBack && s.opts.Runner == lint.RunnerGolangMigrate && len(f.Statements) > 1
	for i := range ft.Statements {
		ends[i] = i
	}
	if oneTx {
		for i := range ends {
			ends[i] = len(ends) - 1
		}
	}
	// Explicit blocks.
	open := -1
	for i, st := range f.Statements {
		if i >= len(ft.Statements) {
			break
		}
		switch k, _ := txControl(st); k {
		case "begin":
			open = i
		case "end":
			if open >= 0 {
				for j := open; j <= i; j++ {
					if !oneTx {
						ends[j] = i
					}
				}
				open = -1
			}
		}
	}
	if open >= 0 && !oneTx {
		for j := open; j < len(ends); j++ {
			ends[j] = len(ends) - 1
		}
	}
	best := map[string]*Lock{}
	var order []string
	for i := range ft.Statements {
		st := &ft.Statements[i]
		var d time.Duration
		for j := i; j <= ends[i]; j++ {
			d += ft.Statements[j].Duration
		}
		for k := range st.Locks {
			l := &st.Locks[k]
			if l.Mode == lint.NoLock {
				continue
			}
			if !st.Sampled {
				l.Held = d
			}
			b := best[l.Relation]
			if b == nil {
				cp := *l
				best[l.Relation] = &cp
				order = append(order, l.Relation)
				continue
			}
			if l.Mode > b.Mode {
				b.Mode = l.Mode
			}
			if l.Held > b.Held {
				b.Held = l.Held
			}
		}
	}
	for _, r := range order {
		ft.Locks = append(ft.Locks, *best[r])
	}
	sortLocks(ft.Locks)
}

// Relations lists the relations a statement names (and the statements of
// its DO block), schema-qualified, in order: tables, views and indexes it
// alters, reads or writes, not the ones it creates.
func Relations(st *lint.Statement) []string {
	var out []string
	seen := map[string]bool{}
	add := func(schema, name string) {
		if name == "" {
			return
		}
		if schema == "" {
			schema = "public"
		}
		q := schema + "." + name
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	nodes := []*pg.Node{st.Node}
	for _, ns := range st.Nested() {
		nodes = append(nodes, ns.Node)
	}
	for _, n := range nodes {
		created := map[*pg.RangeVar]bool{}
		switch {
		case n.GetCreateStmt() != nil:
			created[n.GetCreateStmt().Relation] = true
		case n.GetViewStmt() != nil:
			created[n.GetViewStmt().View] = true
		case n.GetCreateTableAsStmt() != nil && n.GetCreateTableAsStmt().Into != nil:
			created[n.GetCreateTableAsStmt().Into.Rel] = true
		case n.GetDropStmt() != nil:
			for _, obj := range n.GetDropStmt().Objects {
				if l := obj.GetList(); l != nil {
					var parts []string
					for _, it := range l.Items {
						parts = append(parts, it.GetString_().GetSval())
					}
					switch len(parts) {
					case 1:
						add("", parts[0])
					case 2:
						add(parts[0], parts[1])
					}
				}
			}
		}
		visitRangeVars(n.ProtoReflect(), func(rv *pg.RangeVar) {
			if !created[rv] {
				add(rv.Schemaname, rv.Relname)
			}
		})
	}
	return out
}

// nonTransactional reports whether a statement refuses to run inside a
// transaction block: lint's list, and REINDEX of a schema, the system
// catalogs or a database, which PostgreSQL refuses there too.
func nonTransactional(st *lint.Statement) bool {
	if _, ok := lint.NonTransactional(st.Node, lint.MaxPGVersion); ok {
		return true
	}
	if rs := st.Node.GetReindexStmt(); rs != nil {
		switch rs.Kind {
		case pg.ReindexObjectType_REINDEX_OBJECT_SCHEMA, pg.ReindexObjectType_REINDEX_OBJECT_SYSTEM, pg.ReindexObjectType_REINDEX_OBJECT_DATABASE:
			return true
		}
	}
	return false
}
