package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator/trace"
)

type traceOptions struct {
	paths    []string
	history  []string
	database string
	format   string
	runner   string
	timeout  time.Duration
	existing bool
}

func newTraceCmd(e *env, g *globals) *cobra.Command {
	o := &traceOptions{}
	c := &cobra.Command{
		Use:   "trace [paths...] --database URL",
		Short: "Run migrations against a scratch database and show the locks PostgreSQL really takes",
		Long: `Run migrations against a throwaway PostgreSQL database and print, per statement, the locks it
actually took (read from pg_locks): the mode, the relation and how long the lock stays held, and
whether the statement rewrote or scanned a table. Where lockstep lint predicts a lock, lockstep
trace measures it.

The database MUST be a scratch database: an empty one you created for this (createdb
lockstep_trace), never one an application uses. lockstep trace refuses a database that already
has tables, unless --existing-schema.

Paths are golang-migrate directories (NNN_name.up.sql, in version order) or single .sql files,
traced in the order given (default: ./migrations). Each file runs inside a transaction that is
rolled back, so the locks every statement takes are seen and nothing of the file stays; then,
when more files follow, it is applied for real so that they see the schema it leaves. A file
holding a statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM, ...)
cannot be rolled back: it runs for real, statement by statement, while a second session samples
its locks. Files given with --history are applied for real first and not traced.

How long a lock is held follows --runner (default lint.runner in lockstep.yaml, else
golang-migrate, which runs a file of several statements as one transaction: a lock lasts to the
end of the file). Transaction control in a file (BEGIN, COMMIT) is not run: the trace's own
transaction replaces it.

A statement PostgreSQL rejects is shown with its error, the files after it are not traced, and
lockstep trace exits 1. Exit 2: no database, a bad flag, a database that is not empty. Exit 3: a
file that cannot be read or parsed (named with its line). Exit 4: the database cannot be reached.`,
		Example: `  # trace a golang-migrate directory on a fresh scratch database
  createdb lockstep_trace
  lockstep trace migrations --database postgres://localhost/lockstep_trace

  # trace only the new file, after replaying the older ones for real
  export LOCKSTEP_DATABASE_URL=postgres://localhost/lockstep_trace
  lockstep trace migrations/0042_add_index.up.sql --history migrations

  # JSON: the strongest lock of every file on every relation
  lockstep trace db/change.sql --format json | jq '.files[] | {path, locks}'

  # locks held per statement, as x-multi-statement=true runs the file
  lockstep trace db/change.sql --runner multi-statement`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			return runTrace(cmd.Context(), e, g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.database, "database", "", "URL of a scratch database the trace may change (default $LOCKSTEP_DATABASE_URL)")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	f.StringArrayVar(&o.history, "history", nil, "apply these files or directories for real first, without tracing them (repeatable)")
	f.StringVar(&o.runner, "runner", "", "how migrations run: golang-migrate, multi-statement or per-statement (default lint.runner)")
	f.DurationVar(&o.timeout, "timeout", time.Minute, "statement_timeout and lock_timeout of every traced statement")
	f.BoolVar(&o.existing, "existing-schema", false, "trace against the tables the scratch database already has, instead of refusing it")
	return c
}

func runTrace(ctx context.Context, e *env, g *globals, o *traceOptions) error {
	if o.format != "text" && o.format != "json" {
		return fault.Errorf(fault.Usage, "--format %q: want text or json", o.format)
	}
	if o.timeout <= 0 {
		return fault.Errorf(fault.Usage, "--timeout %s: want a positive duration", o.timeout)
	}
	url := o.database
	if url == "" {
		url = e.getenv("LOCKSTEP_DATABASE_URL")
	}
	if url == "" {
		return fault.Errorf(fault.Usage, "no database: lockstep trace runs the migrations on a scratch database: create an empty one (createdb lockstep_trace) and pass --database URL or set LOCKSTEP_DATABASE_URL")
	}
	cfg, _, err := lintConfig(e, g, &lintOptions{runner: o.runner}, false)
	if err != nil {
		return err
	}
	paths := o.paths
	if len(paths) == 0 {
		paths = []string{"migrations"}
		if _, err := os.Stat(e.abs("migrations")); err != nil {
			return fault.Errorf(fault.Usage, "no paths given and ./migrations does not exist: lockstep trace [paths...]")
		}
	}
	traced, err := traceFiles(e, paths, cfg, nil)
	if err != nil {
		return err
	}
	skip := map[string]bool{}
	for _, f := range traced {
		skip[filepath.Clean(f.Source.Path)] = true
	}
	var history []*lint.File
	if len(o.history) > 0 {
		if history, err = traceFiles(e, o.history, cfg, skip); err != nil {
			return err
		}
	}

	s, err := trace.Connect(ctx, url, trace.Options{Runner: cfg.Runner, Timeout: o.timeout, Logger: e.logger()})
	if err != nil {
		return joinLines(err)
	}
	defer s.Close()
	if !o.existing {
		empty, err := s.Empty(ctx)
		if err != nil {
			return fault.Wrap(fault.Unavailable, err, "database")
		}
		if !empty {
			return fault.Errorf(fault.Usage, "--database: the database already has tables: lockstep trace changes the database it runs on, so it wants an empty scratch database (createdb lockstep_trace), or --existing-schema to trace against the tables it has")
		}
	}
	for _, f := range history {
		if err := s.Apply(ctx, f.Source.Path, f.Source.Text); err != nil {
			return err
		}
	}
	rep := &trace.Report{Server: s.Server(), History: len(history)}
	var failed error
	for i, f := range traced {
		ft, err := s.Trace(ctx, f)
		if err != nil {
			return err
		}
		rep.Files = append(rep.Files, ft)
		if ft.Failed {
			failed = traceFailure(ft, len(traced)-i-1)
			break
		}
		// The next files need the schema this one leaves.
		if ft.RolledBack && i < len(traced)-1 {
			if err := s.Apply(ctx, f.Source.Path, f.Source.Text); err != nil {
				return err
			}
		}
	}
	if o.format == "json" {
		err = rep.WriteJSON(e.stdout)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	return failed
}

// traceFiles reads and parses the migration files that paths name, in
// order, leaving out those in skip. A file that cannot be read or parsed is
// bad input naming it (and the line).
func traceFiles(e *env, paths []string, cfg lint.Config, skip map[string]bool) ([]*lint.File, error) {
	inputs, err := collectInputs(e, paths, cfg)
	if err != nil {
		return nil, err
	}
	var out []*lint.File
	for _, in := range inputs {
		if skip[filepath.Clean(in.Path)] {
			continue
		}
		f := lint.Parse(lint.NewSource(in.Path, in.Text))
		if f.Err != nil {
			return nil, fault.Errorf(fault.Input, "%s", f.Err)
		}
		out = append(out, f)
	}
	return out, nil
}

// traceFailure is the error of a traced file whose statement failed.
func traceFailure(f trace.File, left int) error {
	for _, st := range f.Statements {
		if st.Err == "" {
			continue
		}
		msg := ""
		if left > 0 {
			msg = " (the files after it were not traced)"
		}
		return fault.Errorf(fault.Failed, "%s:%d: PostgreSQL rejected the statement: %s%s", f.Path, st.Line, st.Err, msg)
	}
	return fault.Errorf(fault.Failed, "%s: a statement failed", f.Path)
}

// joinLines keeps a connection error to one line: pgx joins the errors of
// each attempt (with TLS, then without) by newlines, often the same twice.
func joinLines(err error) error {
	lines := strings.Split(err.Error(), "\n")
	if len(lines) == 1 {
		return err
	}
	var keep []string
	seen := map[string]bool{}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !seen[l] {
			seen[l] = true
			keep = append(keep, l)
		}
	}
	return &fault.Error{Kind: fault.KindOf(err), Msg: strings.Join(keep, "; "), Err: err}
}
