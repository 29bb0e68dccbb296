package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/deployer/kubernetes"
	"github.com/lockstep-dev/lockstep/deployer/nginx"
	"github.com/lockstep-dev/lockstep/deployer/shell"
	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/report"
)

type deployOptions struct {
	dbOptions
	release  string
	env      string
	stable   string
	commit   string
	skipGate string
	restart  bool
	resume   bool
}

// deploySection is lockstep.yaml's deploy section: the core's settings and
// each provider's subsection.
type deploySection struct {
	deployer.Config `yaml:",inline"`
	Shell           shell.Config      `yaml:"shell"`
	Nginx           nginx.Config      `yaml:"nginx"`
	Kubernetes      kubernetes.Config `yaml:"kubernetes"`
}

// providerEnv is what a provider constructor may use of the world.
type providerEnv struct {
	e      *env
	log    *slog.Logger
	output io.Writer
}

// providerCtor builds a provider from its subsection.
type providerCtor func(ctx context.Context, sec *deploySection, pe providerEnv) (deployer.Provider, error)

// deployProviders maps deploy.provider to its constructor: adding a
// provider is one line here.
func deployProviders() map[string]providerCtor {
	return map[string]providerCtor{
		"shell": func(ctx context.Context, sec *deploySection, pe providerEnv) (deployer.Provider, error) {
			cfg := sec.Shell
			if cfg.Dir == "" {
				cfg.Dir = pe.e.workdir
			} else {
				cfg.Dir = pe.e.abs(cfg.Dir)
			}
			return shell.New(cfg, shell.Options{Environ: pe.e.environ, Output: pe.output, Logger: pe.log})
		},
		"nginx": func(ctx context.Context, sec *deploySection, pe providerEnv) (deployer.Provider, error) {
			return nginx.New(sec.Nginx, nginx.Options{Logger: pe.log})
		},
		"kubernetes": func(ctx context.Context, sec *deploySection, pe providerEnv) (deployer.Provider, error) {
			cfg := sec.Kubernetes
			cfg.MaxSurge, cfg.MaxUnavailable = sec.Rolling.MaxSurge, sec.Rolling.MaxUnavailable
			if cfg.Kubeconfig != "" {
				cfg.Kubeconfig = pe.e.abs(cfg.Kubeconfig)
			}
			rc, err := kubernetes.RESTConfig(cfg, pe.e.getenv)
			if err != nil {
				return nil, err
			}
			dyn, err := dynamic.NewForConfig(rc)
			if err != nil {
				return nil, fault.Errorf(fault.Usage, "deploy.kubernetes: %v", err)
			}
			return kubernetes.New(cfg, kubernetes.Options{Dynamic: dyn, Logger: pe.log})
		},
	}
}

func newDeployCmd(e *env, g *globals) *cobra.Command {
	o := &deployOptions{}
	c := &cobra.Command{
		Use:   "deploy",
		Short: "Roll a release out: canary, blue-green or rolling, with metric analysis and automatic rollback",
		Long: `Roll release R out as the deploy: section of lockstep.yaml says: through a provider (shell
commands, nginx, Kubernetes), step by step, measuring the analysis metrics in Prometheus at every
step. A metric whose failed measurements exceed failure_limit (or inconclusive ones
inconclusive_limit, or consecutive query errors consecutive_error_limit) rolls the release back by
itself: traffic goes back to the stable release and the ledger records R rolled back, so its
contract migrations stay blocked. A rollout that passes every step is promoted and R recorded
deployed, which lets "lockstep migrate contract" run what waited for it.

Before anything moves, lockstep checks the gate (the gates: section; --skip-gate "reason" skips it,
audited) and judges from the ledger whether rolling back is safe: when a contract migration ran
since the stable release, that release may not read the schema any more, so a failure pauses the
rollout and pages (deploy.rollback.page) instead of switching traffic back.

SIGTERM or a cancelled job puts traffic back on stable before exiting and records the rollout
interrupted; the next run says so and resumes at that step (--restart starts over). A runner that
died without cleaning up is found the same way: traffic goes back to stable first.

Exit 0: promoted (or already deployed). Exit 1: rolled back, paused, interrupted or gate closed,
with the metric and figures that decided. Exit 2: configuration. Exit 4: Prometheus, the database
or the platform unreachable.`,
		Example: `  lockstep deploy --release v1.5.0 --database "$DATABASE_URL"
  lockstep deploy --release v1.5.0 --env staging --stable v1.4.2
  lockstep deploy --release v1.5.1 --skip-gate "INC-4711: hotfix for the outage"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDeploy(cmd.Context(), e, g, o)
		},
	}
	o.register(c, true)
	f := c.Flags()
	f.StringVar(&o.release, "release", "", "the release to roll out (default $LOCKSTEP_RELEASE)")
	f.StringVar(&o.env, "env", "", "the environment (default deploy.environment, else production)")
	f.StringVar(&o.stable, "stable", "", "the release serving traffic now (default: the one the ledger last recorded deployed)")
	f.StringVar(&o.commit, "commit", "", "the release's commit SHA (default $GITHUB_SHA or $CI_COMMIT_SHA)")
	f.StringVar(&o.skipGate, "skip-gate", "", "do not check the gate, for this reason (audited)")
	f.BoolVar(&o.restart, "restart", false, "start from the first step even if an interrupted rollout of the release could resume")
	f.BoolVar(&o.resume, "resume", false, "continue a rollout that paused because its rollback was refused")
	addReportFlags(c, g)
	return c
}

func runDeploy(ctx context.Context, e *env, g *globals, o *deployOptions) error {
	if o.release == "" {
		o.release = e.getenv("LOCKSTEP_RELEASE")
	}
	if o.release == "" {
		return fault.Errorf(fault.Usage, "--release: missing (or set LOCKSTEP_RELEASE)")
	}
	if o.commit == "" {
		o.commit = firstNonEmpty(e.getenv("GITHUB_SHA"), e.getenv("CI_COMMIT_SHA"))
	}
	conf, err := loadConfig(e, g)
	if err != nil {
		return err
	}
	if !conf.present["deploy"] {
		return fault.Errorf(fault.Usage, "%s: no deploy section: say which provider and strategy to use (lockstep schema shows the keys)", configName(conf))
	}
	var sec deploySection
	if err := conf.section("deploy", &sec); err != nil {
		return err
	}
	if err := sec.Config.Normalize(); err != nil {
		return fault.Errorf(fault.Usage, "%s: %v", configName(conf), err)
	}
	envName := firstNonEmpty(o.env, sec.Environment)
	log := e.logger()
	actor := actorOf(e, o.actor)

	var l *ledger.Ledger
	dbURL := firstNonEmpty(o.database, e.getenv("LOCKSTEP_DATABASE_URL"))
	if dbURL != "" {
		l, err = ledger.Open(ctx, dbURL, ledger.Options{Logger: log, Now: e.now, ApplicationName: "lockstep deploy"})
		if err != nil {
			return err
		}
		defer l.Close()
	}

	// Pre-flight: the gate.
	switch {
	case o.skipGate != "":
		fmt.Fprintf(e.stdout, "gate skipped: %s\n", o.skipGate)
		if l != nil {
			if err := l.Audit(ctx, ledger.Entry{Actor: actor, Action: "gate.skipped", Release: o.release, Environment: envName, Reason: o.skipGate}); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(e.stderr, "lockstep: warning: --skip-gate is not audited: no database")
		}
	case conf.present["gates"]:
		gerr := runGate(ctx, e, g, &gateOptions{env: envName, database: dbURL, dir: o.dir, release: o.release, format: "text"}, false)
		if gerr != nil {
			if fault.KindOf(gerr) == fault.Failed {
				return fault.Errorf(fault.Failed, "gate closed: %s not deployed to %s (--skip-gate \"reason\" deploys anyway, audited)", o.release, envName)
			}
			return gerr
		}
	}

	ctor, ok := deployProviders()[sec.Provider]
	if !ok {
		return fault.Errorf(fault.Usage, "%s: deploy.provider %q: want one of %s", configName(conf), sec.Provider, strings.Join(providerNames(), ", "))
	}
	p, err := ctor(ctx, &sec, providerEnv{e: e, log: log, output: e.stderr})
	if err != nil {
		return err
	}
	r := &deployer.Runner{Config: sec.Config, Provider: p, ProviderName: sec.Provider, Out: e.stdout, Logger: log, Now: e.now, Actor: actor}
	if l != nil {
		r.Ledger = l
	}
	if len(sec.Analysis.Metrics) > 0 {
		m, err := deployer.NewPrometheus(sec.Analysis.Prometheus, &http.Client{})
		if err != nil {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, sec.Analysis.Timeout)
		err = m.Ping(pctx)
		cancel()
		if err != nil {
			return err // before any traffic moves: exit 4
		}
		r.Metrics = m
	}
	if cmdline := sec.Rollback.Page; cmdline != "" {
		r.Page = func(ctx context.Context, t deployer.Target, reason string) error {
			return page(ctx, e, cmdline, t, reason)
		}
	}

	dep, err := newDeployer(ctx, e, g)
	if err != nil {
		return err
	}
	depID := ""
	if dep != nil {
		depID, err = dep.StartDeployment(ctx, report.Deployment{Environment: envName, Release: o.release, Ref: o.commit,
			Description: fmt.Sprintf("lockstep %s of %s", sec.Strategy, o.release), Production: envName == "production",
			Payload: map[string]any{"release": o.release, "strategy": string(sec.Strategy)}})
		if err != nil {
			fmt.Fprintf(e.stderr, "lockstep: deployment record: %v\n", err)
			dep = nil
		} else if err := dep.SetDeploymentState(ctx, depID, report.DeployInProgress, "rolling out", ""); err != nil {
			fmt.Fprintf(e.stderr, "lockstep: deployment status: %v\n", err)
		}
	}

	res, runErr := r.Run(ctx, deployer.Request{Release: o.release, Stable: o.stable, Environment: envName, Commit: o.commit, Restart: o.restart, Resume: o.resume})
	if res == nil {
		return runErr
	}
	// Report even after a cancellation, briefly.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if res.Outcome == deployer.Promoted && l != nil {
		unlockedContracts(rctx, e, l, o.release)
	}
	if dep != nil {
		if err := dep.SetDeploymentState(rctx, depID, deploymentState(res.Outcome), res.Section().Summary, ""); err != nil {
			fmt.Fprintf(e.stderr, "lockstep: deployment status: %v\n", err)
		}
	}
	sec2 := res.Section()
	rep := &report.Report{
		Sections: []report.Section{sec2},
		Statuses: []report.Status{{Stage: report.StageRollout, State: sec2.State, Description: truncate(sec2.Summary, 140)}},
		Outputs: report.Outputs{"rollout": string(res.Outcome), "release": res.Release, "stable": res.Stable,
			"rollback_safety": string(res.Safety.Level)},
	}
	if err := publishReport(rctx, e, g, rep); err != nil && runErr == nil {
		runErr = err
	}
	switch {
	case runErr != nil && !errors.Is(runErr, context.Canceled):
		if res.Outcome == deployer.RolledBack || res.Outcome == deployer.Paused {
			return fault.Wrap(kindOr(runErr, fault.Failed), runErr, res.ExitReason())
		}
		return runErr
	case res.Outcome == deployer.Promoted, res.Outcome == deployer.AlreadyDeployed:
		return nil
	}
	return fault.Errorf(fault.Failed, "%s", res.ExitReason())
}

// unlockedContracts prints the contract migrations that may run now that
// release is deployed: introduced by an earlier release, not applied yet.
func unlockedContracts(ctx context.Context, e *env, l *ledger.Ledger, release string) {
	ms, err := l.Migrations(ctx)
	if err != nil {
		return
	}
	var names []string
	for _, m := range ms {
		if m.Phase != "contract" || m.Applied() || m.IntroducedIn == release {
			continue
		}
		if later, ok, err := l.LaterDeployed(ctx, m.IntroducedIn); err == nil && ok && later.Name == release {
			names = append(names, fmt.Sprintf("%s (introduced in %s)", deployer.MigrationFile(m), m.IntroducedIn))
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(e.stdout, "contract migrations unlocked by %s: %s; run lockstep migrate contract --release %s\n", release, strings.Join(names, ", "), release)
	}
}

// page runs deploy.rollback.page through sh -c.
func page(ctx context.Context, e *env, cmdline string, t deployer.Target, reason string) error {
	cmd := exec.CommandContext(ctx, "sh", "-c", cmdline)
	cmd.Dir = e.workdir
	cmd.Env = append(append([]string(nil), e.environ...), "LOCKSTEP_RELEASE="+t.Release, "LOCKSTEP_STABLE="+t.Stable,
		"LOCKSTEP_ENVIRONMENT="+t.Environment, "LOCKSTEP_REASON="+reason)
	cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("deploy.rollback.page: %w", err)
	}
	return nil
}

func deploymentState(o deployer.Outcome) report.DeploymentState {
	switch o {
	case deployer.Promoted, deployer.AlreadyDeployed:
		return report.DeploySuccess
	case deployer.Interrupted:
		return report.DeployError
	}
	return report.DeployFailure
}

func kindOr(err error, k *fault.Kind) *fault.Kind {
	if kk := fault.KindOf(err); kk != nil {
		return kk
	}
	return k
}

func providerNames() []string {
	var out []string
	for k := range deployProviders() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func configName(c *config) string {
	if c.path == "" {
		return "lockstep.yaml"
	}
	return c.path
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
