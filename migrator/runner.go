package migrator

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

// Options configure a Migrator. Only DatabaseURL and FS are required.
type Options struct {
	// DatabaseURL is the target database (a postgres:// URL or DSN).
	DatabaseURL string
	// FS is the golang-migrate directory itself (its files at its root).
	FS fs.FS
	// Dir names the directory in messages, e.g. "migrations".
	Dir string
	// Release is the release this run belongs to; Commit its commit SHA.
	Release string
	Commit  string
	// Actor is who runs lockstep (CI user), recorded in the ledger.
	Actor string
	// Config is the migrations section of lockstep.yaml.
	Config Config
	// Lint configures the phase inference (pg_version).
	Lint lint.Config
	// DryRun decides and reports without running or recording anything.
	DryRun bool
	// AcceptChanged lists applied versions whose changed file is accepted
	// as the new truth (audited with AcceptReason) instead of an error.
	AcceptChanged []uint64
	AcceptReason  string
	// Out receives one line per migration run or waiting; Notes receives
	// retries, pauses and backfill progress. nil discards.
	Out, Notes io.Writer
	// TTY says Notes is a terminal: a progress bar instead of log lines.
	TTY bool
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock of the ledger's timestamps; nil is time.Now.
	Now func() time.Time
	// OnBatch, when set, is called after each committed backfill batch.
	OnBatch func(BatchStat)
}

// Migrator runs one directory's migrations against one database.
type Migrator struct {
	o         Options
	cfg       Config
	l         *ledger.Ledger
	files     []*Migration
	byVersion map[uint64]*Migration
	connCfg   *pgx.ConnConfig
	appName   string
	schema    string
	pgVersion int

	// Filled by sync.
	rel     ledger.Release
	records map[uint64]ledger.Migration
	streams map[lint.Phase]*stream
}

// Phases lists the phases in the order a change goes through them.
var Phases = []lint.Phase{lint.Expand, lint.Backfill, lint.Contract}

// Open reads the migration files and opens the ledger (creating or
// upgrading the lockstep schema). Errors: fault.Input for unreadable or
// unparsable files, fault.Usage for a bad directive or setting,
// fault.Unavailable when the database cannot be reached.
func Open(ctx context.Context, o Options) (*Migrator, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Notes == nil {
		o.Notes = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Actor == "" {
		o.Actor = "unknown"
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	cfg := o.Config
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	files, err := Load(ctx, o.FS, o.Dir, o.Lint)
	if err != nil {
		return nil, err
	}
	connCfg, err := pgx.ParseConfig(o.DatabaseURL)
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "database URL: %s", ledger.Redact(err.Error(), o.DatabaseURL))
	}
	m := &Migrator{o: o, cfg: cfg, files: files, byVersion: map[uint64]*Migration{}, connCfg: connCfg, appName: "lockstep migrate"}
	connCfg.RuntimeParams["application_name"] = m.appName
	for _, f := range files {
		m.byVersion[f.Version] = f
	}
	l, err := ledger.Open(ctx, o.DatabaseURL, ledger.Options{Logger: o.Logger, Now: o.Now})
	if err != nil {
		return nil, err
	}
	m.l = l
	var vnum int
	if err := l.Pool().QueryRow(ctx, `SELECT current_schema(), current_setting('server_version_num')::int`).Scan(&m.schema, &vnum); err != nil {
		l.Close()
		return nil, ledger.Unavailable(err, o.DatabaseURL)
	}
	m.pgVersion = vnum / 10000
	return m, nil
}

// Close releases the connections.
func (m *Migrator) Close() { m.l.Close() }

// Ledger is the ledger the migrator records in.
func (m *Migrator) Ledger() *ledger.Ledger { return m.l }

// Migrations returns the files, in version order.
func (m *Migrator) Migrations() []*Migration { return m.files }

// Applied is a migration that ran.
type Applied struct {
	Migration *Migration
	Duration  time.Duration
	// Rows is the number of rows a backfill changed (this run).
	Rows int64
	// Resumed is set for a migration that an earlier run started.
	Resumed bool
}

// Wait is a migration that may not run yet.
type Wait struct {
	Migration *Migration
	// Reason is the one line saying what it waits for.
	Reason string
	// Refused is set when it should have been due by now (a contract of a
	// release before this one, a backfill before its expand): the command
	// exits 1. A contract of this release itself is only scheduled.
	Refused bool
}

// Result is what a migrate command did.
type Result struct {
	Phase   lint.Phase
	Release string
	DryRun  bool
	Applied []Applied
	// Planned lists what would run (dry run).
	Planned []*Migration
	Waiting []Wait
	// Pending counts the phase's migrations not applied at the end.
	Pending int
	// Done counts the phase's migrations applied (before and now).
	Done int
}

// Run applies the migrations of one phase that may run now, in version
// order, and reports the ones that must wait. With a refusal (a migration
// that should be due by now waits) the error is fault.Failed naming it and
// what it waits for; the Result is returned too.
//
// Other errors: fault.Unavailable when the runner lock stays taken past
// lock_wait or the database goes away, fault.Input for a file changed
// after it was applied, fault.Failed for a migration that fails.
func (m *Migrator) Run(ctx context.Context, phase lint.Phase) (*Result, error) {
	if m.o.Release == "" {
		return nil, fault.Errorf(fault.Usage, "--release is required: the release these migrations belong to")
	}
	res := &Result{Phase: phase, Release: m.o.Release, DryRun: m.o.DryRun}
	if !m.o.DryRun {
		unlock, err := m.l.Lock(ctx, ledger.RunnerLockKey, durationOf(m.cfg.LockWait))
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	if err := m.sync(ctx); err != nil {
		return nil, err
	}
	if phase == lint.Expand && !m.o.DryRun && m.rel.State == ledger.Pending {
		r, err := m.l.SetReleaseState(ctx, m.rel.Name, ledger.Expanding, m.o.Actor)
		if err != nil {
			return nil, m.classify(err, "record release "+m.rel.Name)
		}
		m.rel = r
	}
	st := m.streams[phase]
	if st.dirty {
		a, err := m.resumeDirty(ctx, st)
		if err != nil {
			return res, err
		}
		res.Applied = append(res.Applied, a)
		m.printApplied(a)
	}
	var pending []*Migration
	for _, f := range m.files {
		if f.Phase == phase && !m.applied(f.Version) {
			pending = append(pending, f)
		}
	}
	if len(pending) > 0 && !m.o.DryRun {
		if err := st.open(m.o.FS, m.files, m.byVersion, m.connCfg, m.cfg.LockWait); err != nil {
			return res, m.classify(err, "open the "+phase.String()+" stream ("+st.table+")")
		}
		defer st.close()
	}
	for i, f := range pending {
		w, err := m.decide(ctx, f)
		if err != nil {
			return res, err
		}
		if w != nil {
			res.Waiting = append(res.Waiting, *w)
			for _, later := range pending[i+1:] {
				res.Waiting = append(res.Waiting, Wait{Migration: later,
					Reason: fmt.Sprintf("%s waits behind %s (each phase applies its files in version order)", later.Label, f.Label)})
			}
			break
		}
		if m.o.DryRun {
			res.Planned = append(res.Planned, f)
			fmt.Fprintf(m.o.Out, "would apply  %s  (%s)\n", f.Label, f.Phase)
			m.markApplied(f)
			continue
		}
		a, err := m.runOne(ctx, f, st)
		if err != nil {
			return res, err
		}
		res.Applied = append(res.Applied, a)
		m.printApplied(a)
	}
	for _, f := range m.files {
		if f.Phase == phase {
			if m.applied(f.Version) {
				res.Done++
			} else {
				res.Pending++
			}
		}
	}
	var refused *Wait
	for i, w := range res.Waiting {
		fmt.Fprintf(m.o.Out, "waiting      %s\n", w.Reason)
		if w.Refused && refused == nil {
			refused = &res.Waiting[i]
		}
	}
	if len(res.Applied) == 0 && len(res.Planned) == 0 && len(res.Waiting) == 0 {
		fmt.Fprintf(m.o.Out, "%s: nothing to do (%d applied)\n", phase, res.Done)
	}
	if refused != nil {
		if !m.o.DryRun {
			_ = m.l.Audit(ctx, ledger.Entry{Actor: m.o.Actor, Action: "migrate.refused", Release: m.o.Release, Reason: refused.Reason,
				Details: map[string]any{"version": refused.Migration.Version, "name": refused.Migration.Label, "phase": phase.String()}})
		}
		return res, fault.Errorf(fault.Failed, "%s", refused.Reason)
	}
	return res, nil
}

func (m *Migrator) printApplied(a Applied) {
	extra := ""
	if a.Migration.Batch != nil {
		extra = fmt.Sprintf(", %d rows", a.Rows)
	}
	if a.Resumed {
		extra += ", resumed"
	}
	fmt.Fprintf(m.o.Out, "applied      %s  (%s, %s%s)\n", a.Migration.Label, a.Migration.Phase, a.Duration.Round(time.Millisecond), extra)
}

func (m *Migrator) applied(v uint64) bool {
	r, ok := m.records[v]
	return ok && r.Applied()
}

// markApplied updates the in-memory record after a run (or a dry one).
func (m *Migrator) markApplied(f *Migration) {
	r := m.records[f.Version]
	now := m.o.Now()
	r.AppliedAt, r.AppliedIn = &now, m.o.Release
	m.records[f.Version] = r
}

// runOne has golang-migrate step the stream to f, running it through
// lockstep.
func (m *Migrator) runOne(ctx context.Context, f *Migration, st *stream) (Applied, error) {
	a := Applied{Migration: f}
	err := st.step(f.Version, func(body []byte) error {
		if checksum(body) != f.Checksum {
			return fault.Errorf(fault.Input, "%s changed while lockstep was running; run again", f.Path)
		}
		if f.Batch != nil {
			var err error
			a, err = m.backfill(ctx, f, st)
			return err
		}
		d, err := m.apply(ctx, f, st)
		a.Duration = d
		return err
	})
	if err != nil {
		return a, m.classify(err, f.Label)
	}
	m.markApplied(f)
	return a, nil
}

// resumeDirty finishes a multi-unit migration a cut-short run of lockstep
// left part-way (its table dirty, its run in the ledger). A dirty table
// lockstep did not leave is an error: a person has to look.
func (m *Migrator) resumeDirty(ctx context.Context, st *stream) (Applied, error) {
	f := m.byVersion[st.version]
	_, ok, err := m.l.RunOf(ctx, st.version)
	if err != nil {
		return Applied{}, m.classify(err, "read the ledger")
	}
	if f == nil || !ok || m.applied(st.version) {
		return Applied{}, fault.Errorf(fault.Failed, "%s is dirty at version %d and lockstep did not leave it so: a migration failed part-way outside lockstep; check the schema, set the right version with golang-migrate's force, then run lockstep again",
			st.table, st.version)
	}
	if m.o.DryRun {
		fmt.Fprintf(m.o.Out, "would resume %s  (%s, part-way)\n", f.Label, f.Phase)
		return Applied{Migration: f, Resumed: true}, nil
	}
	d, err := m.apply(ctx, f, st)
	if err != nil {
		return Applied{}, err
	}
	m.markApplied(f)
	st.dirty = false
	return Applied{Migration: f, Duration: d, Resumed: true}, nil
}

// sync brings the ledger up to the directory: the release, a baseline of
// golang-migrate history on first use, new files introduced by this
// release, changed files. Nothing is written in a dry run.
func (m *Migrator) sync(ctx context.Context) error {
	if err := m.load(ctx); err != nil {
		return err
	}
	if m.o.Release != "" {
		if m.o.DryRun {
			r, err := m.l.Release(ctx, m.o.Release)
			if err != nil {
				r = ledger.Release{Name: m.o.Release, Seq: math.MaxInt64, State: ledger.Pending}
			}
			m.rel = r
		} else {
			r, err := m.l.EnsureRelease(ctx, m.o.Release, m.o.Commit)
			if err != nil {
				return m.classify(err, "record release "+m.o.Release)
			}
			m.rel = r
		}
	}
	if err := m.baseline(ctx); err != nil {
		return err
	}
	if err := m.introduce(ctx); err != nil {
		return err
	}
	return m.checkChanged(ctx)
}

// load reads the ledger's records and the streams' tables.
func (m *Migrator) load(ctx context.Context) error {
	recs, err := m.l.Migrations(ctx)
	if err != nil {
		return m.classify(err, "read the ledger")
	}
	m.records = map[uint64]ledger.Migration{}
	for _, r := range recs {
		m.records[r.Version] = r
	}
	m.streams = map[lint.Phase]*stream{}
	for _, p := range Phases {
		s, err := readStream(ctx, m.l.Pool(), m.schema, m.cfg.TableOf(p), p)
		if err != nil {
			return m.classify(err, "read "+m.cfg.TableOf(p))
		}
		m.streams[p] = s
	}
	return nil
}

// baseline adopts golang-migrate history: on first use against a database
// whose schema_migrations has a version, every file at or below it is
// recorded as applied (introduced in this release, actor "baseline"), and
// the backfill and contract tables start at their phases' last version at
// or below it.
func (m *Migrator) baseline(ctx context.Context) error {
	ex := m.streams[lint.Expand]
	if len(m.records) > 0 || !ex.exists || m.o.Release == "" {
		return nil
	}
	if ex.dirty {
		return fault.Errorf(fault.Failed, "%s is dirty at version %d: fix it with golang-migrate (migrate force) before lockstep takes over", ex.table, ex.version)
	}
	if _, ok := m.byVersion[ex.version]; !ok {
		return fault.Errorf(fault.Input, "%s is at version %d, which no file in %s has", ex.table, ex.version, m.o.Dir)
	}
	var base []ledger.Migration
	top := map[lint.Phase]uint64{}
	for _, f := range m.files {
		if f.Version > ex.version {
			break
		}
		base = append(base, ledger.Migration{Version: f.Version, Name: f.Label, Phase: f.Phase.String(), Checksum: f.Checksum})
		top[f.Phase] = f.Version
	}
	fmt.Fprintf(m.o.Notes, "baseline: %s is at version %d: %d files at or below it are taken as applied (release %s)\n", ex.table, ex.version, len(base), m.o.Release)
	if m.o.DryRun {
		for _, b := range base {
			b.IntroducedIn = m.o.Release
			m.records[b.Version] = b
			m.markApplied(m.byVersion[b.Version])
		}
		return nil
	}
	err := pgx.BeginFunc(ctx, m.l.Pool(), func(tx pgx.Tx) error {
		if err := m.l.RecordApplied(ctx, tx, base, m.o.Release, "baseline"); err != nil {
			return err
		}
		for _, p := range []lint.Phase{lint.Backfill, lint.Contract} {
			v, ok := top[p]
			if !ok || m.streams[p].exists {
				continue
			}
			q := m.streams[p].qtable
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+q+` (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`); err != nil {
				return err
			}
			if err := writeVersion(ctx, tx, q, v, false); err != nil {
				return err
			}
		}
		return m.l.AppendAudit(ctx, tx, ledger.Entry{Actor: m.o.Actor, Action: "migrate.baseline", Release: m.o.Release,
			Reason: fmt.Sprintf("%s was at version %d", ex.table, ex.version), Details: map[string]any{"files": len(base)}})
	})
	if err != nil {
		return m.classify(err, "record the baseline")
	}
	return m.load(ctx)
}

// introduce records the files the ledger has not seen as introduced by
// this release, and checks each phase's version line: a file below its
// stream's version would never run under golang-migrate.
func (m *Migrator) introduce(ctx context.Context) error {
	for _, f := range m.files {
		if _, ok := m.records[f.Version]; ok {
			continue
		}
		st := m.streams[f.Phase]
		if st.exists && f.Version <= st.version {
			return fault.Errorf(fault.Input, "%s: version %d is at or below %s's version %d, so golang-migrate would never apply it: give it a version after %d",
				f.Path, f.Version, st.table, st.version, st.version)
		}
		if m.o.Release == "" {
			continue
		}
		rec := ledger.Migration{Version: f.Version, Name: f.Label, Phase: f.Phase.String(), Checksum: f.Checksum, IntroducedIn: m.o.Release}
		if m.o.DryRun {
			m.records[f.Version] = rec
			continue
		}
		got, err := m.l.RecordMigration(ctx, rec)
		if err != nil {
			return m.classify(err, "record "+f.Label)
		}
		m.records[f.Version] = got
	}
	// Versions a stream passed that the ledger has not applied: golang-
	// migrate ran them outside lockstep.
	var adopt []ledger.Migration
	for _, f := range m.files {
		st := m.streams[f.Phase]
		if !m.applied(f.Version) && st.exists && f.Version <= st.version && !(st.dirty && f.Version == st.version) {
			adopt = append(adopt, ledger.Migration{Version: f.Version, Name: f.Label, Phase: f.Phase.String(), Checksum: f.Checksum})
			fmt.Fprintf(m.o.Notes, "%s: %s is already at version %d: taken as applied outside lockstep\n", f.Label, st.table, st.version)
		}
	}
	if len(adopt) == 0 || m.o.DryRun {
		return nil
	}
	err := pgx.BeginFunc(ctx, m.l.Pool(), func(tx pgx.Tx) error {
		if err := m.l.RecordApplied(ctx, tx, adopt, m.o.Release, "outside lockstep"); err != nil {
			return err
		}
		return m.l.AppendAudit(ctx, tx, ledger.Entry{Actor: m.o.Actor, Action: "migrate.adopted", Release: m.o.Release,
			Details: map[string]any{"versions": len(adopt)}})
	})
	if err != nil {
		return m.classify(err, "record migrations applied outside lockstep")
	}
	return m.load(ctx)
}

// checkChanged compares the files with the checksums the ledger recorded.
// A file changed after it was applied is fault.Input (it never re-runs),
// unless accepted; an unapplied one just takes its new content.
func (m *Migrator) checkChanged(ctx context.Context) error {
	var changed []string
	for _, f := range m.files {
		r, ok := m.records[f.Version]
		if !ok || (r.Checksum == f.Checksum && r.Phase == f.Phase.String() && r.Name == f.Label) {
			continue
		}
		if !r.Applied() {
			if m.o.DryRun {
				continue
			}
			if _, err := m.l.UpdateMigration(ctx, f.Version, f.Label, f.Phase.String(), f.Checksum); err != nil {
				return m.classify(err, "update "+f.Label)
			}
			continue
		}
		if r.Checksum == f.Checksum {
			continue // only the name or the phase inference changed
		}
		msg := fmt.Sprintf("%s: changed after it was applied by %s on %s (checksum %.12s, now %.12s): lockstep never re-runs an applied migration; restore the file, or accept the change with --accept-changed %d --reason TEXT",
			f.Path, r.AppliedIn, r.AppliedAt.Format("2006-01-02"), r.Checksum, f.Checksum, f.Version)
		if slices.Contains(m.o.AcceptChanged, f.Version) {
			if m.o.AcceptReason == "" {
				return fault.Errorf(fault.Usage, "--accept-changed needs --reason: why the changed file is the truth")
			}
			if !m.o.DryRun {
				if err := m.l.UpdateChecksum(ctx, f.Version, f.Checksum); err != nil {
					return m.classify(err, "update "+f.Label)
				}
				_ = m.l.Audit(ctx, ledger.Entry{Actor: m.o.Actor, Action: "migrate.checksum-accepted", Release: m.o.Release, Reason: m.o.AcceptReason,
					Details: map[string]any{"version": f.Version, "name": f.Label, "old": r.Checksum, "new": f.Checksum}})
			}
			fmt.Fprintf(m.o.Notes, "%s: changed file accepted (%s)\n", f.Label, m.o.AcceptReason)
			r.Checksum = f.Checksum
			m.records[f.Version] = r
			continue
		}
		changed = append(changed, msg)
		if !m.o.DryRun {
			_ = m.l.Audit(ctx, ledger.Entry{Actor: m.o.Actor, Action: "migrate.checksum-mismatch", Release: m.o.Release,
				Reason: "file changed after it was applied", Details: map[string]any{"version": f.Version, "name": f.Label, "recorded": r.Checksum, "file": f.Checksum}})
		}
	}
	if len(changed) == 0 {
		return nil
	}
	for _, c := range changed[1:] {
		fmt.Fprintf(m.o.Notes, "lockstep: %s\n", c)
	}
	return fault.Errorf(fault.Input, "%s", changed[0])
}

func durationOf(d Duration) time.Duration { return time.Duration(d) }

// label returns a migration's label from the files, else from the ledger.
func (m *Migrator) label(v uint64) string {
	if f, ok := m.byVersion[v]; ok {
		return f.Label
	}
	if r, ok := m.records[v]; ok {
		return r.Name
	}
	return fmt.Sprint(v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

var _ = strings.TrimSpace
