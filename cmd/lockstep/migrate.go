package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator"
	"github.com/lockstep-dev/lockstep/report"
)

// dbOptions are the flags every command that opens the ledger has.
type dbOptions struct {
	database string
	dir      string
	actor    string
}

func (o *dbOptions) register(c *cobra.Command, withDir bool) {
	f := c.PersistentFlags()
	f.StringVar(&o.database, "database", "", "database URL (default $LOCKSTEP_DATABASE_URL)")
	if withDir {
		f.StringVar(&o.dir, "dir", "", "the golang-migrate directory (default migrations, or migrations.dir in lockstep.yaml)")
	}
	f.StringVar(&o.actor, "actor", "", "who runs this, for the ledger (default $GITHUB_ACTOR, $GITLAB_USER_LOGIN or $USER)")
}

// databaseURL returns --database or LOCKSTEP_DATABASE_URL.
func (o *dbOptions) databaseURL(e *env) (string, error) {
	if o.database != "" {
		return o.database, nil
	}
	if u := e.getenv("LOCKSTEP_DATABASE_URL"); u != "" {
		return u, nil
	}
	return "", fault.Errorf(fault.Usage, "no database: pass --database URL or set LOCKSTEP_DATABASE_URL")
}

// actorOf names who runs the command: --actor, else the CI's user.
func actorOf(e *env, flag string) string {
	if flag != "" {
		return flag
	}
	for _, k := range []string{"GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER"} {
		if v := e.getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

type migrateOptions struct {
	dbOptions
	release       string
	commit        string
	lockWait      time.Duration
	lockTimeout   time.Duration
	dryRun        bool
	drainCheck    bool
	acceptChanged []string
	reason        string
	format        string
}

func newMigrateCmd(e *env, g *globals) *cobra.Command {
	o := &migrateOptions{}
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Run golang-migrate files in their phase: expand, backfill, contract",
		Long: `Run a golang-migrate directory across releases, each file in its phase, so the old and the new
release both work at every moment of a deploy:

  expand    before the deploy: additive changes (new tables, columns, indexes)
  backfill  after expand, while both releases serve traffic: data changes, in batches
  contract  after the deploy: what breaks the old release (drops, NOT NULL, renames);
            a contract file introduced by release R runs only once a release LATER than R
            is recorded as fully deployed (lockstep release deployed), so rolling back one
            release never meets a contracted schema

A file's phase is its "-- lockstep:phase expand|backfill|contract" header, or what lockstep lint
infers from its statements. A file is introduced by the first release that runs lockstep migrate
with it (--release). Each phase is a golang-migrate stream with its own migrations table:
schema_migrations (golang-migrate's own, so its CLI sees the expand version and no dirty flag),
schema_migrations_backfill and schema_migrations_contract.

Safety: one runner at a time (a second waits --lock-wait, then exits 4); every statement runs
with lock_timeout (--lock-timeout) and is retried with backoff when the lock is not granted, so a
long transaction makes lockstep wait instead of the application's queries; CONCURRENTLY
statements run on their own and an INVALID index is rebuilt; a file changed after it was applied
exits 3 and never re-runs.`,
		Example: `  # in the pipeline of release v1.5.0
  export LOCKSTEP_DATABASE_URL=postgres://deploy@db:5432/app
  lockstep migrate expand   --release v1.5.0     # before the deploy
  lockstep migrate backfill --release v1.5.0     # after expand; batched, resumable
  lockstep release deployed v1.5.0               # once every instance runs it
  lockstep migrate contract --release v1.5.0     # what older releases left to contract

  lockstep migrate status`,
	}
	o.register(c, true)
	pf := c.PersistentFlags()
	pf.DurationVar(&o.lockWait, "lock-wait", migrator.DefaultLockWait, "how long to wait for another lockstep runner before exiting 4")
	pf.DurationVar(&o.lockTimeout, "lock-timeout", migrator.DefaultLockTimeout, "lock_timeout of every statement; a lock not granted in time is retried with backoff")
	for _, p := range migrator.Phases {
		c.AddCommand(newPhaseCmd(e, g, o, p))
	}
	c.AddCommand(newMigrateStatusCmd(e, g, o))
	return c
}

var phaseHelp = map[lint.Phase]struct{ short, long, example string }{
	lint.Expand: {
		"Apply the expand migrations (before the deploy)",
		`Apply the pending expand migrations in version order: additive changes the running release
ignores and the new one needs. Each file commits with its version in one transaction, under
lock_timeout, retried with backoff while the lock is not granted.`,
		`  lockstep migrate expand --release v1.5.0
  lockstep migrate expand --release v1.5.0 --dry-run
  lockstep migrate expand --release "$CI_COMMIT_TAG" --lock-timeout 5s --lock-wait 2m`,
	},
	lint.Backfill: {
		"Run the backfill migrations in batches (after expand, during the deploy)",
		`Run the pending backfill migrations. A file with a "-- lockstep:batch key=id size=5000" header
and one UPDATE (or DELETE) runs in key ranges, each in a short transaction of its own that also
writes the checkpoint to the ledger: every row is changed exactly once, even across kill -9, and
a re-run resumes where the last one stopped. The batch size adapts to
migrations.backfill.target_batch_duration; the run pauses while replicas lag or sessions wait for
locks; SIGTERM stops it cleanly after the batch under way (exit 1, resumable). Progress shows as
a bar on a terminal, as log lines in CI.`,
		`  lockstep migrate backfill --release v1.5.0
  LOCKSTEP_LOG=info lockstep migrate backfill --release v1.5.0 --lock-timeout 1s`,
	},
	lint.Contract: {
		"Apply the contract migrations whose release is superseded (after the deploy)",
		`Apply the contract migrations that may run now: those introduced by a release before one that
is recorded as fully deployed. One whose release has no later deployed release waits; when it
should be due by now (it was introduced by a release before --release) lockstep refuses with exit
1, naming the migration and the release it waits for, and records the refusal in the audit log.
The contracts of --release itself are scheduled for a later release and do not fail the job.

With --drain-check (or migrations.drain_check), a contract also waits while pg_stat_activity has a
session whose application_name is <service>@<release> for the introducing release or an older one:
set application_name that way in your services to use it.`,
		`  lockstep release deployed v1.5.0 && lockstep migrate contract --release v1.5.0
  lockstep migrate contract --release v1.5.0 --drain-check
  lockstep migrate contract --release v1.5.0 --dry-run`,
	},
}

func newPhaseCmd(e *env, g *globals, o *migrateOptions, phase lint.Phase) *cobra.Command {
	h := phaseHelp[phase]
	c := &cobra.Command{
		Use:     phase.String() + " --release R",
		Short:   h.short,
		Long:    h.long,
		Example: h.example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := runMigrate(cmd.Context(), e, g, o, phase, cmd)
			return publishAfter(cmd.Context(), e, g, r, err)
		},
	}
	addReportFlags(c, g)
	f := c.Flags()
	f.StringVar(&o.release, "release", "", "the release this pipeline deploys (required), e.g. v1.5.0")
	f.StringVar(&o.commit, "commit", "", "the release's commit SHA, for the ledger")
	f.BoolVar(&o.dryRun, "dry-run", false, "say what would run and what waits; change nothing")
	f.StringArrayVar(&o.acceptChanged, "accept-changed", nil, "accept the changed file of this applied version as the truth (repeatable; needs --reason)")
	f.StringVar(&o.reason, "reason", "", "why, for the audit log (with --accept-changed)")
	if phase == lint.Contract {
		f.BoolVar(&o.drainCheck, "drain-check", false, "wait while sessions named <service>@<release> of the introducing release or older remain")
	}
	return c
}

// migratorOptions builds the migrator's options from lockstep.yaml and the
// flags.
func migratorOptions(e *env, g *globals, o *migrateOptions, cmd *cobra.Command) (migrator.Options, error) {
	url, err := o.databaseURL(e)
	if err != nil {
		return migrator.Options{}, err
	}
	conf, err := loadConfig(e, g)
	if err != nil {
		return migrator.Options{}, err
	}
	var cfg migrator.Config
	if err := conf.section("migrations", &cfg); err != nil {
		return migrator.Options{}, err
	}
	lcfg := lint.Config{}
	if err := conf.section("lint", &lcfg); err != nil {
		return migrator.Options{}, err
	}
	if err := lcfg.Normalize(); err != nil {
		return migrator.Options{}, err
	}
	flags := cmd.Flags()
	if o.dir != "" {
		cfg.Dir = o.dir
	}
	if flags.Changed("lock-wait") {
		if o.lockWait <= 0 {
			return migrator.Options{}, fault.Errorf(fault.Usage, "--lock-wait %s: want a positive duration", o.lockWait)
		}
		cfg.LockWait = migrator.Duration(o.lockWait)
	}
	if flags.Changed("lock-timeout") {
		if o.lockTimeout <= 0 {
			return migrator.Options{}, fault.Errorf(fault.Usage, "--lock-timeout %s: want a positive duration", o.lockTimeout)
		}
		cfg.LockTimeout = migrator.Duration(o.lockTimeout)
	}
	if o.drainCheck {
		cfg.DrainCheck = true
	}
	if err := cfg.Normalize(); err != nil {
		return migrator.Options{}, err
	}
	dir := e.abs(cfg.Dir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return migrator.Options{}, fault.Errorf(fault.Input, "%s: not a directory of migrations (--dir, migrations.dir)", cfg.Dir)
	}
	var accept []uint64
	for _, a := range o.acceptChanged {
		v, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return migrator.Options{}, fault.Errorf(fault.Usage, "--accept-changed %q: want a migration version", a)
		}
		accept = append(accept, v)
	}
	if len(accept) > 0 && strings.TrimSpace(o.reason) == "" {
		return migrator.Options{}, fault.Errorf(fault.Usage, "--accept-changed needs --reason: why the changed file is the truth")
	}
	return migrator.Options{
		DatabaseURL:   url,
		FS:            os.DirFS(dir),
		Dir:           cfg.Dir,
		Release:       o.release,
		Commit:        o.commit,
		Actor:         actorOf(e, o.actor),
		Config:        cfg,
		Lint:          lcfg,
		DryRun:        o.dryRun,
		AcceptChanged: accept,
		AcceptReason:  o.reason,
		Out:           e.stdout,
		Notes:         e.stderr,
		TTY:           e.stderrTTY,
		Logger:        e.logger(),
		Now:           e.now,
	}, nil
}

// runMigrate runs one phase and returns the stage's report (nil for a
// usage error, which is reported nowhere).
func runMigrate(ctx context.Context, e *env, g *globals, o *migrateOptions, phase lint.Phase, cmd *cobra.Command) (*report.Report, error) {
	if o.release == "" {
		return nil, fault.Errorf(fault.Usage, "--release is required: the release this pipeline deploys, e.g. --release v1.5.0")
	}
	opts, err := migratorOptions(e, g, o, cmd)
	if err != nil {
		return nil, err
	}
	m, err := migrator.Open(ctx, opts)
	if err != nil {
		return migrateReport(phase, o.release, nil, err), err
	}
	defer m.Close()
	res, err := m.Run(ctx, phase)
	return migrateReport(phase, o.release, res, err), err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func newMigrateStatusCmd(e *env, g *globals, o *migrateOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "status",
		Short: "Show every migration: phase, release, applied or what it waits for, backfill progress",
		Long: `Show every migration of the directory and of the ledger: version and name, phase, the release
that introduced it, whether and when it was applied and by which release, what blocks it (the
release a contract waits for, the expand a backfill waits for), and a backfill's progress. It
changes nothing.`,
		Example: `  lockstep migrate status
  lockstep migrate status --format json | jq '.migrations[] | select(.state != "applied")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "text" && o.format != "json" {
				return fault.Errorf(fault.Usage, "--format %q: want text or json", o.format)
			}
			opts, err := migratorOptions(e, g, o, cmd)
			if err != nil {
				return err
			}
			m, err := migrator.Open(cmd.Context(), opts)
			if err != nil {
				return err
			}
			defer m.Close()
			st, err := m.Status(cmd.Context())
			if err != nil {
				return err
			}
			if o.format == "json" {
				return st.WriteJSON(e.stdout)
			}
			return st.WriteText(e.stdout)
		},
	}
	c.Flags().StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	return c
}
