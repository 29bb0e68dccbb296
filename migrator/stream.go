package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	mpgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/lockstep-dev/lockstep/lint"
)

// A stream is one phase's golang-migrate version line: the phase's files
// (an iofs source over a filtered view of the directory) and its own
// migrations table (golang-migrate's pgx/v5 driver). golang-migrate's core
// picks the next version and holds its advisory lock on the table, so a
// golang-migrate CLI run against the same table waits for lockstep; the
// migration itself runs through lockstep's executor, which writes the
// version in the migration's own transaction (see streamDriver).
type stream struct {
	phase  lint.Phase
	table  string
	qtable string // schema-qualified, quoted
	// version is the table's version when the command started (0 and
	// !exists when the table is empty or missing).
	version uint64
	exists  bool
	dirty   bool

	mig *migrate.Migrate
	drv *streamDriver
}

// readStream reads a stream's table without creating it.
func readStream(ctx context.Context, q querier, schema, table string, phase lint.Phase) (*stream, error) {
	s := &stream{phase: phase, table: table, qtable: quoteIdent(schema) + "." + quoteIdent(table)}
	var present bool
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, s.qtable).Scan(&present); err != nil {
		return nil, err
	}
	if !present {
		return s, nil
	}
	var v int64
	err := q.QueryRow(ctx, `SELECT version, dirty FROM `+s.qtable+` LIMIT 1`).Scan(&v, &s.dirty)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if v >= 0 {
		s.version, s.exists = uint64(v), true
	}
	return s, nil
}

// querier is what reading a stream needs of a pool or connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// open connects golang-migrate to the stream: the phase's files plus the
// file of the table's current version (golang-migrate looks it up before
// moving on), and the driver on the stream's table, created if missing.
func (s *stream) open(fsys fs.FS, files []*Migration, all map[uint64]*Migration, cfg *pgx.ConnConfig, lockWait Duration) error {
	allow := map[string]bool{}
	add := func(m *Migration) {
		base := m.Label
		allow[base+".up.sql"] = true
		allow[base+".down.sql"] = true
	}
	for _, m := range files {
		if m.Phase == s.phase {
			add(m)
		}
	}
	if s.exists {
		if m, ok := all[s.version]; ok {
			add(m)
		}
	}
	src, err := iofs.New(filteredFS{fsys: fsys, allow: allow}, ".")
	if err != nil {
		return fmt.Errorf("read the %s files: %w", s.phase, err)
	}
	db := stdlib.OpenDB(*cfg.Copy())
	inner, err := mpgx.WithInstance(db, &mpgx.Config{MigrationsTable: s.table})
	if err != nil {
		db.Close()
		src.Close()
		return err
	}
	s.drv = &streamDriver{Driver: inner, db: db}
	mig, err := migrate.NewWithInstance("iofs", src, "pgx5", s.drv)
	if err != nil {
		s.drv.Close()
		src.Close()
		return err
	}
	mig.LockTimeout = durationOf(lockWait)
	s.mig = mig
	return nil
}

func (s *stream) close() {
	if s.mig != nil {
		s.mig.Close()
		s.mig = nil
	}
}

// step has golang-migrate move the stream one version up, running want
// through run. It fails when golang-migrate would pick another version
// (the file lists disagree) and returns run's own error unchanged.
func (s *stream) step(want uint64, run func(body []byte) error) error {
	s.drv.run = func(v uint64, body []byte) error {
		if v != want {
			return fmt.Errorf("golang-migrate's next %s version is %d, lockstep expected %d", s.phase, v, want)
		}
		return run(body)
	}
	s.drv.runErr = nil
	defer func() { s.drv.run = nil }()
	err := s.mig.Steps(1)
	if s.drv.runErr != nil {
		return s.drv.runErr
	}
	if errors.Is(err, migrate.ErrLockTimeout) {
		return fmt.Errorf("golang-migrate's lock on %s is held by another runner (a golang-migrate CLI?): %w", s.table, err)
	}
	return err
}

// streamDriver is golang-migrate's pgx/v5 driver with Run and SetVersion
// taken over while lockstep steps the stream: golang-migrate announces the
// target with SetVersion(v, dirty=true) before Run and clears it after;
// lockstep instead writes the version in the same transaction as the
// migration (or marks it dirty itself while a multi-unit file is part-way),
// so a run cut short never leaves a dirty flag on a migration that did not
// partly apply. Everything else (Version, Lock, Unlock) is golang-migrate's.
type streamDriver struct {
	database.Driver
	db *sql.DB

	run    func(v uint64, body []byte) error
	target int
	ran    bool
	runErr error
}

// SetVersion records the target (dirty) or confirms it (clean) during a
// step; outside one it is golang-migrate's.
func (d *streamDriver) SetVersion(version int, dirty bool) error {
	if d.run != nil {
		if dirty {
			d.target, d.ran = version, false
			return nil
		}
		if d.ran && version == d.target {
			return nil
		}
	}
	return d.Driver.SetVersion(version, dirty)
}

// Run executes the announced target through lockstep.
func (d *streamDriver) Run(r io.Reader) error {
	if d.run == nil {
		return d.Driver.Run(r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if d.target < 0 {
		return fmt.Errorf("golang-migrate ran no announced version")
	}
	if err := d.run(uint64(d.target), body); err != nil {
		d.runErr = err
		return err
	}
	d.ran = true
	return nil
}

// filteredFS shows only the allowed file names of a directory.
type filteredFS struct {
	fsys  fs.FS
	allow map[string]bool
}

func (f filteredFS) Open(name string) (fs.File, error) {
	if name != "." && !f.allow[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.fsys.Open(name)
}

func (f filteredFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(f.fsys, name)
	if err != nil {
		return nil, err
	}
	var out []fs.DirEntry
	for _, e := range entries {
		if !e.IsDir() && f.allow[e.Name()] {
			out = append(out, e)
		}
	}
	return out, nil
}
