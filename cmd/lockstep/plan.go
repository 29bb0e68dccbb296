package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator"
	"github.com/lockstep-dev/lockstep/migrator/plan"
)

type planOptions struct {
	dir         string
	release     string
	format      string
	dryRun      bool
	lockTimeout time.Duration
	pgVersion   int
	runner      string
	req         plan.Request
}

func newPlanCmd(e *env, g *globals) *cobra.Command {
	o := &planOptions{}
	var kinds strings.Builder
	for _, k := range plan.Kinds() {
		fmt.Fprintf(&kinds, "  %-19s %-24s %s\n", k.Name, k.Args, k.Summary)
	}
	c := &cobra.Command{
		Use:   "plan CHANGE ARGS...",
		Short: "Write the expand, backfill and contract files of a breaking change, and the app-code checklist",
		Long: `Plan a breaking schema change as migrations that keep the old and the new release working at
every moment of the deploy.

lockstep plan replays the migration directory to learn the schema (column types, NOT NULL,
defaults, primary keys, indexes, constraints), writes the files with the next free versions in the
directory's own numbering (zero-padded or timestamps), each with its -- lockstep:phase header (and
-- lockstep:batch for a backfill), statements that cannot run in a transaction alone in their file
and lock_timeout where a lock would block traffic, and prints what the application code must do in
each release. It lints the files it writes first and refuses to write a plan lint finds an error in.

Release N is the release that ships the files: lockstep migrate runs its expand and backfill steps
before its deploy, and the contract steps once a release after N is fully rolled out.

Changes:
` + kinds.String(),
		Example: `  lockstep plan rename-column users.name full_name
  lockstep plan change-column-type orders.amount bigint --release v2.4
  lockstep plan set-not-null users.status --default "'active'" --fill "'active'"
  lockstep plan add-foreign-key orders.user_id users.id --on-delete cascade
  lockstep plan add-unique users.email
  lockstep plan add-check orders orders_amount_positive 'amount > 0'
  lockstep plan drop-column users.legacy --dry-run`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.req.Kind, o.req.Args = args[0], args[1:]
			return runPlan(cmd.Context(), e, g, o, cmd.Flags().Changed("pg-version"), cmd.Flags().Changed("lock-timeout"))
		},
	}
	f := c.Flags()
	f.StringVar(&o.dir, "dir", "", "the golang-migrate directory (default migrations, or migrations.dir in lockstep.yaml)")
	f.StringVar(&o.release, "release", "", "the release that ships the plan, for the checklist and the files' comments (default: release N)")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the files instead of writing them")
	f.DurationVar(&o.lockTimeout, "lock-timeout", 0, "lock_timeout of the steps that take a lock blocking traffic (default 2s, or migrations.lock_timeout)")
	f.IntVar(&o.pgVersion, "pg-version", 0, "target PostgreSQL major version for the lint check, 13 to 17 (default 15)")
	f.StringVar(&o.runner, "runner", "", "how migrations run: golang-migrate, multi-statement or per-statement (default lint.runner)")
	f.StringVar(&o.req.Key, "key", "", "column the backfill batches are cut on (default: the table's single-column primary key)")
	f.IntVar(&o.req.BatchSize, "batch-size", plan.DefaultBatchSize, "keys per backfill batch (lockstep migrate adapts it afterwards)")
	f.StringVar(&o.req.Name, "name", "", "name of the constraint or index the plan creates (add-foreign-key, add-unique, set-not-null)")
	f.StringVar(&o.req.Column, "column", "", "change-column-type: name of the new column (default COL_new)")
	f.StringVar(&o.req.Default, "default", "", "set-not-null: a default (SQL expression) for inserts that leave the column out")
	f.StringVar(&o.req.Fill, "fill", "", "set-not-null: the value (SQL expression) a batched backfill writes into the NULL rows")
	f.StringVar(&o.req.OnDelete, "on-delete", "", "add-foreign-key: cascade, restrict, set null, set default or no action")
	addReportFlags(c, g)
	return c
}

func runPlan(ctx context.Context, e *env, g *globals, o *planOptions, pgSet, timeoutSet bool) error {
	if o.format != "text" && o.format != "json" {
		return fault.Errorf(fault.Usage, "--format %q: want text or json", o.format)
	}
	if timeoutSet && o.lockTimeout <= 0 {
		return fault.Errorf(fault.Usage, "--lock-timeout %s: want a positive duration", o.lockTimeout)
	}
	cfg, conf, err := lintConfig(e, g, &lintOptions{pgVersion: o.pgVersion, runner: o.runner}, pgSet)
	if err != nil {
		return err
	}
	mc := migrator.Config{}
	if err := conf.section("migrations", &mc); err != nil {
		return err
	}
	if err := mc.Normalize(); err != nil {
		return err
	}
	dir := o.dir
	if dir == "" {
		dir = mc.Dir
	}
	timeout := time.Duration(mc.LockTimeout)
	if timeoutSet {
		timeout = o.lockTimeout
	}
	h, err := plan.Load(dirFS{e}, dir)
	if err != nil {
		return err
	}
	p, err := plan.Generate(h, o.req, plan.Config{Runner: cfg.Runner, LockTimeout: timeout, Release: o.release, Now: e.clock})
	if err != nil {
		return err
	}
	findings, err := plan.Check(ctx, h, p, cfg)
	if err != nil {
		return err
	}
	var errs []string
	for _, f := range findings {
		if f.Severity >= lint.Error {
			errs = append(errs, fmt.Sprintf("%s:%d: %s: %s", f.Pos.File, f.Pos.Line, f.Rule, f.Message))
		}
	}
	if len(errs) > 0 {
		for _, s := range errs {
			fmt.Fprintf(e.stderr, "lockstep: %s\n", s)
		}
		refused := fault.Errorf(fault.Failed, "%s: lint reports %d errors on the files this plan would write, so nothing was written (a lockstep bug, or a rule your lockstep.yaml raised to error)", p.Command, len(errs))
		return publishAfter(ctx, e, g, planReport(p, dir, o.dryRun, nil, errs), refused)
	}
	var written []string
	if !o.dryRun {
		if written, err = p.Write(e.abs(dir)); err != nil {
			return err
		}
		for i := range written {
			written[i] = dir + "/" + p.Files[i].Name
		}
	}
	if o.format == "json" {
		err = p.WriteJSON(e.stdout, dir, !o.dryRun)
	} else {
		err = p.WriteText(e.stdout, dir, o.dryRun, written)
	}
	if err != nil {
		return err
	}
	return publishReport(ctx, e, g, planReport(p, dir, o.dryRun, written, nil))
}
