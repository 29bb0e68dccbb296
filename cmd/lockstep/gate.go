package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/gates"
	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator"
)

type gateOptions struct {
	env           string
	at            string
	format        string
	override      string
	overrideGates string
	database      string
	dir           string
	since         string
	release       string
}

func newGateCmd(e *env, g *globals) *cobra.Command {
	o := &gateOptions{}
	c := &cobra.Command{
		Use:   "gate",
		Short: "Decide whether a deploy may start now",
		Long: `Decide, explain and record whether a deploy may start now, under the gates: section of
lockstep.yaml: inside the deploy windows, outside freezes (lockstep's own, fixed or recurring, and
the GitLab project's deploy freeze periods), with enough SLO error budget left and no fast burn,
and with pending migrations no riskier than allowed. Each check prints its result and figures
(remaining budget, burn rates against their limits and the PromQL run); a closed gate prints when
it opens next on time-based grounds.

Exit 0: open. Exit 1: closed, or an override refused. Exit 4: Prometheus, GitLab or the database
unreachable (the gate fails closed; error_budget.on_error: open lets it through).

An emergency override (--override "reason", or LOCKSTEP_OVERRIDE) by an allowed actor
(GITHUB_ACTOR, GITLAB_USER_LOGIN) bypasses exactly the gates --override-gates names. With a
database (--database or LOCKSTEP_DATABASE_URL) every decision and override goes to the ledger's
audit log.

GitLab freeze periods are read through the API with LOCKSTEP_GITLAB_TOKEN (or GITLAB_TOKEN; a
token with read_api), from CI_API_V4_URL and CI_PROJECT_ID. Without a token, CI_DEPLOY_FREEZE
decides, with a warning: GitLab computes it when the pipeline is created.`,
		Example: `  # may production deploy now?
  lockstep gate --env production

  # as of a given time, as JSON
  lockstep gate --env production --at 2026-11-27T18:30:00+01:00 --format json

  # an emergency: bypass the window and the freeze, nothing else
  lockstep gate --env production --override "INC-4711: checkout down" --override-gates window,freeze`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGate(cmd.Context(), e, g, o, cmd.Flags().Changed("override"))
		},
	}
	f := c.Flags()
	f.StringVar(&o.env, "env", "", "the environment deployed to; selects gates.environments.NAME")
	f.StringVar(&o.at, "at", "", "decide for this RFC 3339 time instead of now")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	f.StringVar(&o.override, "override", "", "emergency override with this reason (default $LOCKSTEP_OVERRIDE)")
	f.StringVar(&o.overrideGates, "override-gates", "", "the gates the override bypasses, e.g. window,freeze (default $LOCKSTEP_OVERRIDE_GATES)")
	f.StringVar(&o.database, "database", "", "database URL for the ledger: pending migrations and the audit log (default $LOCKSTEP_DATABASE_URL)")
	f.StringVar(&o.dir, "dir", "", "the golang-migrate directory (default migrations, or migrations.dir in lockstep.yaml)")
	f.StringVar(&o.since, "since", "", "without a database: the migrations pending are the files added since this git ref")
	f.StringVar(&o.release, "release", "", "the release being deployed, for the audit log (default $LOCKSTEP_RELEASE)")
	addReportFlags(c, g)
	// The gate posts no review comments: --filter would do nothing here.
	_ = f.MarkHidden("filter")
	return c
}

func runGate(ctx context.Context, e *env, g *globals, o *gateOptions, overrideSet bool) error {
	if o.format != "text" && o.format != "json" {
		return fault.Errorf(fault.Usage, "--format %q: want text or json", o.format)
	}
	now := e.clock()
	if o.at != "" {
		t, err := time.Parse(time.RFC3339, o.at)
		if err != nil {
			return fault.Errorf(fault.Usage, "--at %q: want an RFC 3339 time like 2026-11-27T18:30:00+01:00", o.at)
		}
		now = t
	}
	req, err := overrideRequest(e, o, overrideSet)
	if err != nil {
		return err
	}
	conf, err := loadConfig(e, g)
	if err != nil {
		return err
	}
	var gc gates.Config
	if err := conf.section("gates", &gc); err != nil {
		return err
	}
	policy, err := gc.Resolve(o.env)
	if err != nil {
		return settingError(conf, err)
	}
	log := e.logger()
	in := gates.Inputs{Now: now, Override: req, Logger: log}

	dbURL := o.database
	if dbURL == "" {
		dbURL = e.getenv("LOCKSTEP_DATABASE_URL")
	}
	var l *ledger.Ledger
	if dbURL != "" {
		l, err = ledger.Open(ctx, dbURL, ledger.Options{Logger: log, Now: e.now, ApplicationName: "lockstep gate"})
		if err != nil {
			return err
		}
		defer l.Close()
	}
	if policy.Budget != nil {
		in.Metrics, err = gates.NewPrometheus(policy.Budget.Prometheus, &http.Client{}, log)
		if err != nil {
			return fault.Errorf(fault.Usage, "gates.error_budget.prometheus: %v", err)
		}
	}
	if policy.GitLabFreezes {
		if in.GitLab, err = gitlabFreezes(ctx, e); err != nil {
			return err
		}
	}
	var pending []*migrator.Migration
	if policy.MaxRisk != nil || policy.FinishBeforeClose {
		var lcfg lint.Config
		if err := conf.section("lint", &lcfg); err != nil {
			return err
		}
		if err := lcfg.Normalize(); err != nil {
			return err
		}
		dir, err := migrationsDir(conf, o.dir)
		if err != nil {
			return err
		}
		if policy.MaxRisk != nil {
			risk, files, err := pendingRisk(ctx, e, l, dir, o.since, lcfg)
			if err != nil {
				return err
			}
			in.Risk, pending = risk, files
		}
		if policy.FinishBeforeClose {
			if pending == nil && l != nil {
				if _, pending, err = pendingMigrations(ctx, e, l, dir, lcfg); err != nil {
					return err
				}
			}
			if in.Estimate, err = rolloutEstimate(ctx, conf, policy, l, pending); err != nil {
				return err
			}
		}
	}

	d, evalErr := gates.Evaluate(ctx, policy, in)
	if d == nil {
		return evalErr
	}
	if o.format == "json" {
		err = gates.WriteJSON(e.stdout, d)
	} else {
		err = gates.WriteText(e.stdout, d)
	}
	if err != nil {
		return err
	}
	if l != nil {
		if err := auditDecision(ctx, l, d, o, e); err != nil {
			return err
		}
	}
	if err := publishReport(ctx, e, g, d.Report()); err != nil {
		return err
	}
	switch {
	case evalErr != nil:
		return evalErr
	case d.Override != nil && !d.Override.Accepted:
		return fault.Errorf(fault.Failed, "override refused: %s", d.Override.Refused)
	case !d.Open:
		return fault.Quietly(fault.Failed, "gate closed")
	}
	return nil
}

// settingError names file:line of a bad gates setting.
func settingError(conf *config, err error) error {
	var se *gates.SettingError
	if !errors.As(err, &se) {
		return err
	}
	return fault.Errorf(fault.Usage, "%s: %s: %s", conf.position(se.Path), dotted(se.Path), se.Msg)
}

// overrideRequest reads --override/LOCKSTEP_OVERRIDE and the gates it
// names; nil when no override is asked for.
func overrideRequest(e *env, o *gateOptions, set bool) (*gates.OverrideRequest, error) {
	reason := o.override
	if !set {
		reason = e.getenv("LOCKSTEP_OVERRIDE")
	}
	names := o.overrideGates
	if names == "" {
		names = e.getenv("LOCKSTEP_OVERRIDE_GATES")
	}
	if !set && reason == "" {
		if o.overrideGates != "" {
			return nil, fault.Errorf(fault.Usage, "--override-gates needs --override \"reason\"")
		}
		return nil, nil
	}
	list, err := gates.ParseGates(names)
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "--override-gates: %v", err)
	}
	actor := e.getenv("GITHUB_ACTOR")
	if actor == "" {
		actor = e.getenv("GITLAB_USER_LOGIN")
	}
	return &gates.OverrideRequest{Actor: actor, Reason: reason, Gates: list}, nil
}

// gitlabFreezes reads the project's freeze periods, or falls back to
// CI_DEPLOY_FREEZE without a token.
func gitlabFreezes(ctx context.Context, e *env) (*gates.GitLabFreezes, error) {
	token := e.getenv("LOCKSTEP_GITLAB_TOKEN")
	if token == "" {
		token = e.getenv("GITLAB_TOKEN")
	}
	project := e.getenv("CI_PROJECT_ID")
	base := e.getenv("CI_API_V4_URL")
	if base == "" && e.getenv("CI_SERVER_URL") != "" {
		base = strings.TrimRight(e.getenv("CI_SERVER_URL"), "/") + "/api/v4"
	}
	switch {
	case token != "" && project != "" && base != "":
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		ps, err := gates.FetchGitLabFreezes(ctx, gates.GitLabSource{
			BaseURL: base, Project: project, Token: token, Client: &http.Client{}, Logger: e.logger(),
		})
		if err != nil {
			return nil, err
		}
		return &gates.GitLabFreezes{Periods: ps}, nil
	case token != "":
		return nil, fault.Errorf(fault.Usage, "gates.gitlab_freezes: a token is set but CI_PROJECT_ID or CI_API_V4_URL is not")
	case e.getenv("GITLAB_CI") != "":
		return &gates.GitLabFreezes{Fallback: true, DeployFreeze: e.getenv("CI_DEPLOY_FREEZE")}, nil
	}
	return &gates.GitLabFreezes{Skipped: "not a GitLab CI job, and no LOCKSTEP_GITLAB_TOKEN with CI_PROJECT_ID and CI_API_V4_URL"}, nil
}

// migrationsDir is --dir, else migrations.dir, else migrations.
func migrationsDir(conf *config, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	var mc migrator.Config
	if err := conf.section("migrations", &mc); err != nil {
		return "", err
	}
	if mc.Dir != "" {
		return mc.Dir, nil
	}
	return migrator.DefaultDir, nil
}

// pendingRisk lints the migrations this release would apply: with a
// ledger, the up files it has not applied; without one, the files added
// since --since.
func pendingRisk(ctx context.Context, e *env, l *ledger.Ledger, dir, since string, lcfg lint.Config) (*gates.RiskReport, []*migrator.Migration, error) {
	if _, err := os.Stat(e.abs(dir)); err != nil {
		return nil, nil, fault.Errorf(fault.Usage, "gates.migration_risk: migrations directory %s: %v (set --dir)", dir, unwrapPathErr(err))
	}
	inputs, err := collectInputs(e, []string{dir}, lcfg)
	if err != nil {
		return nil, nil, err
	}
	var basis string
	var pending []*migrator.Migration
	switch {
	case l != nil:
		applied, files, err := pendingMigrations(ctx, e, l, dir, lcfg)
		if err != nil {
			return nil, nil, err
		}
		pending = files
		for i := range inputs {
			v, _, _, ok := lint.ParseMigrationName(filepath.Base(inputs[i].Path))
			inputs[i].Replay = ok && applied[v]
		}
		basis = "not applied according to the ledger"
	case since != "":
		added, err := addedSince(ctx, e, since)
		if err != nil {
			return nil, nil, err
		}
		for i := range inputs {
			abs, _ := filepath.Abs(e.abs(inputs[i].Path))
			inputs[i].New = added[abs]
			inputs[i].Replay = !added[abs]
		}
		basis = "added since " + since
	default:
		return nil, nil, fault.Errorf(fault.Usage, "gates.migration_risk: which migrations are pending? pass --database (the ledger knows) or --since REF (the files added since)")
	}
	lt, err := lint.New(lcfg)
	if err != nil {
		return nil, nil, err
	}
	res, err := lt.Lint(ctx, inputs)
	if err != nil {
		return nil, nil, err
	}
	if errs := res.SyntaxErrors(); len(errs) > 0 {
		return nil, nil, fault.Errorf(fault.Input, "%s", errs[0])
	}
	return gates.AssessRisk(res, basis), pending, nil
}

// pendingMigrations returns the versions the ledger records as applied and
// the up files of dir it has not.
func pendingMigrations(ctx context.Context, e *env, l *ledger.Ledger, dir string, lcfg lint.Config) (map[uint64]bool, []*migrator.Migration, error) {
	recs, err := l.Migrations(ctx)
	if err != nil {
		return nil, nil, err
	}
	applied := map[uint64]bool{}
	for _, m := range recs {
		if m.Applied() {
			applied[m.Version] = true
		}
	}
	ms, err := migrator.Load(ctx, os.DirFS(e.abs(dir)), dir, lcfg)
	if err != nil {
		return nil, nil, err
	}
	pending := []*migrator.Migration{}
	for _, m := range ms {
		if !applied[m.Version] {
			pending = append(pending, m)
		}
	}
	return applied, pending, nil
}

// rolloutEstimate is how long the rollout should take: gates.rollout_duration
// when set, else the deploy section's steps and pauses, plus the pending
// backfills at the measured (or assumed) rows per second.
func rolloutEstimate(ctx context.Context, conf *config, p *gates.Policy, l *ledger.Ledger, pending []*migrator.Migration) (*gates.Estimate, error) {
	est := &gates.Estimate{}
	if p.RolloutDuration > 0 {
		est.Parts = append(est.Parts, gates.EstimatePart{What: "gates.rollout_duration", Duration: p.RolloutDuration})
	} else if conf.present["deploy"] {
		var dc deployer.Config
		// The deploy section also holds the providers' subsections, which
		// deployer.Config leaves to them: decode leniently.
		if n := conf.node([]string{"deploy"}); n != nil {
			if err := yaml.NodeToValue(n, &dc); err != nil {
				return nil, yamlError(conf.path, "deploy", err)
			}
		}
		if err := dc.Normalize(); err != nil {
			return nil, err
		}
		var steps time.Duration
		plan := dc.Plan(0)
		for _, s := range plan {
			steps += s.Pause
		}
		if steps > 0 {
			est.Parts = append(est.Parts, gates.EstimatePart{What: fmt.Sprintf("%s: %d steps and their pauses", dc.Strategy, len(plan)), Duration: steps})
		}
	}
	if l != nil {
		parts, err := backfillEstimate(ctx, l, p.BackfillRate, pending)
		if err != nil {
			return nil, err
		}
		est.Parts = append(est.Parts, parts...)
	}
	for _, part := range est.Parts {
		est.Duration += part.Duration
	}
	if est.Duration == 0 {
		return nil, nil
	}
	return est, nil
}

// backfillEstimate estimates each pending batched backfill from its table's
// row count (pg_class.reltuples) less what its checkpoint has done, at the
// speed finished backfills reached (or the policy's assumed rate).
func backfillEstimate(ctx context.Context, l *ledger.Ledger, assumed float64, pending []*migrator.Migration) ([]gates.EstimatePart, error) {
	bfs, err := l.Backfills(ctx)
	if err != nil {
		return nil, err
	}
	done := map[uint64]int64{}
	var rows int64
	var took time.Duration
	for _, b := range bfs {
		done[b.Version] = b.RowsDone
		if b.State == ledger.BackfillDone && b.FinishedAt != nil && b.RowsDone > 0 {
			rows += b.RowsDone
			took += b.FinishedAt.Sub(b.StartedAt)
		}
	}
	rate, basis := assumed, "assumed"
	if rows > 0 && took > 0 {
		rate, basis = float64(rows)/took.Seconds(), "measured"
	}
	var parts []gates.EstimatePart
	sort.Slice(pending, func(i, j int) bool { return pending[i].Version < pending[j].Version })
	for _, m := range pending {
		if m.Phase != lint.Backfill || m.Batch == nil || m.Batch.Table == nil {
			continue
		}
		table := lint.QualifiedName(m.Batch.Table)
		var n float64
		err := l.Pool().QueryRow(ctx, `SELECT coalesce((SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = to_regclass($1)), 0)`, table).Scan(&n)
		if err != nil {
			return nil, ledger.Unavailable(err, "")
		}
		left := n - float64(done[m.Version])
		if left <= 0 {
			continue
		}
		d := time.Duration(left / rate * float64(time.Second)).Round(time.Second)
		parts = append(parts, gates.EstimatePart{
			What:     fmt.Sprintf("backfill %s: about %.0f rows of %s at %.0f rows/s (%s)", m.Label, left, lint.DisplayName(table), rate, basis),
			Duration: d,
		})
	}
	return parts, nil
}

// auditDecision appends the decision, and the override, to the ledger.
func auditDecision(ctx context.Context, l *ledger.Ledger, d *gates.Decision, o *gateOptions, e *env) error {
	release := o.release
	if release == "" {
		release = e.getenv("LOCKSTEP_RELEASE")
	}
	return gates.Audit(ctx, l, d, actorOf(e, ""), release)
}
