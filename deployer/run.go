package deployer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
)

// Ledger is what the core loop needs of the ledger; *ledger.Ledger
// implements it.
type Ledger interface {
	EnsureRelease(ctx context.Context, name, commit string) (ledger.Release, error)
	Release(ctx context.Context, name string) (ledger.Release, error)
	Releases(ctx context.Context) ([]ledger.Release, error)
	Migrations(ctx context.Context) ([]ledger.Migration, error)
	SetReleaseState(ctx context.Context, name string, s ledger.ReleaseState, actor string) (ledger.Release, error)
	StartRollout(ctx context.Context, r ledger.Rollout) (ledger.Rollout, error)
	UpdateRollout(ctx context.Context, id int64, step, weight int, details map[string]any) error
	FinishRollout(ctx context.Context, id int64, s ledger.RolloutState, details map[string]any) error
	RunningRollout(ctx context.Context, env string) (ledger.Rollout, bool, error)
	LastRollout(ctx context.Context, release, env string) (ledger.Rollout, bool, error)
	Audit(ctx context.Context, e ledger.Entry) error
}

var _ Ledger = (*ledger.Ledger)(nil)

// Runner drives rollouts: the one loop that carries out a strategy's steps
// through a Provider, analyses metrics, and promotes or rolls back.
type Runner struct {
	// Config is the deploy section; Run normalizes it.
	Config Config
	// Provider moves traffic; ProviderName names it in output and ledger.
	Provider     Provider
	ProviderName string
	// Metrics answers the analysis queries; nil only when no metrics are
	// configured.
	Metrics Metrics
	// Ledger records the rollout; nil runs it unrecorded (no resume, no
	// rollback-safety verdict, contract migrations stay locked).
	Ledger Ledger
	// Out receives the progress lines people read; nil discards them.
	Out io.Writer
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Now stamps records; nil is time.Now. Waits use the time package.
	Now func() time.Time
	// Actor is recorded in the audit log (e.g. the CI user).
	Actor string
	// Page is called when a rollback is refused or disabled; nil prints
	// only.
	Page func(ctx context.Context, t Target, reason string) error
	// Observe, when set, is told of every change of traffic as it takes
	// effect (tests, benchmarks).
	Observe func(Event)
}

// Event is a change of traffic the runner made.
type Event struct {
	Kind   string // deploy, weight, mirror, route, promote, rollback, measure
	Step   int
	Weight int
	// At is when the change took effect (the provider returned); Began,
	// for a weight change, when the provider was asked to make it. Traffic
	// may move at any moment between the two.
	At, Began time.Time
	// Phase is the worst phase of a measure event.
	Phase Phase
}

// Request asks for one rollout.
type Request struct {
	Release     string
	Stable      string
	Environment string
	Commit      string
	// Restart starts from the first step even when an interrupted rollout
	// of the release could resume.
	Restart bool
	// Resume continues a rollout paused because its rollback was refused.
	Resume bool
}

// Outcome is how a rollout ended.
type Outcome string

const (
	Promoted        Outcome = "promoted"
	RolledBack      Outcome = "rolled-back"
	Interrupted     Outcome = "interrupted"
	Paused          Outcome = "paused"
	AlreadyDeployed Outcome = "already-deployed"
)

// Result is what a rollout did, for the exit code and the report.
type Result struct {
	Outcome     Outcome
	Release     string
	Stable      string
	Environment string
	Strategy    Strategy
	Provider    string
	RolloutID   int64
	// Reason is one line: why it rolled back, paused or stopped.
	Reason string
	// Verdict is the metric that decided a rollback, if one did.
	Verdict *Verdict
	Safety  Safety
	Plan    []Step
	// Step is the last step reached (1-based).
	Step  int
	Steps []StepRecord
	// Notes are lines about recovery and resumption.
	Notes             []string
	Started, Finished time.Time
	// RollbackTook is how long the provider's Rollback took.
	RollbackTook time.Duration
	// Recorded says the ledger has the outcome.
	Recorded bool
}

// StepRecord is what happened at one step.
type StepRecord struct {
	Index        int           `json:"index"`
	Step         string        `json:"step"`
	Weight       int           `json:"weight"`
	Started      time.Time     `json:"started"`
	Took         time.Duration `json:"took"`
	Measurements []Measurement `json:"measurements"`
	Passed       bool          `json:"passed"`
}

// state is one run's mutable state.
type state struct {
	r       *Runner
	req     Request
	res     *Result
	t       Target
	an      *analysis
	id      int64
	weight  int
	mirror  bool
	routed  bool
	started time.Time
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Runner) printf(format string, a ...any) {
	if r.Out != nil {
		fmt.Fprintf(r.Out, format+"\n", a...)
	}
}

func (r *Runner) observe(e Event) {
	if r.Observe != nil {
		e.At = time.Now()
		r.Observe(e)
	}
}

// Run carries out one rollout. A rollback, pause or interruption is a
// Result, not an error; the error is for what stopped the run from doing
// its job (bad configuration: fault.Usage; platform, Prometheus or
// database unreachable: fault.Unavailable), and may come with a Result
// when traffic had to be put back.
func (r *Runner) Run(ctx context.Context, req Request) (*Result, error) {
	if err := r.Config.Normalize(); err != nil {
		return nil, err
	}
	cfg := &r.Config
	if req.Environment == "" {
		req.Environment = cfg.Environment
	}
	if req.Stable == "" {
		req.Stable = cfg.Stable
	}
	if req.Release == "" {
		return nil, fault.Errorf(fault.Usage, "--release: missing")
	}
	if len(cfg.Analysis.Metrics) > 0 && r.Metrics == nil {
		return nil, fault.Errorf(fault.Usage, "deploy.analysis: metrics configured but no Prometheus client")
	}
	s := &state{r: r, req: req, an: newAnalysis(&cfg.Analysis, r.Metrics)}
	s.res = &Result{Release: req.Release, Environment: req.Environment, Strategy: cfg.Strategy, Provider: r.ProviderName, Started: r.now()}
	if req.Stable == "" && r.Ledger != nil {
		st, err := r.lastDeployed(ctx, req.Release)
		if err != nil {
			return nil, err
		}
		req.Stable = st
		s.req.Stable = st
	}
	if req.Stable == req.Release {
		return nil, fault.Errorf(fault.Usage, "--stable %s is the release being rolled out", req.Stable)
	}
	s.res.Stable = req.Stable
	s.t = Target{Release: req.Release, Stable: req.Stable, Environment: req.Environment, Strategy: cfg.Strategy, KeepCandidate: !*cfg.Rollback.ScaleDown}
	if err := r.check(); err != nil {
		return nil, err
	}
	instances := 0
	if sz, ok := r.Provider.(Sizer); ok && cfg.Strategy == Rolling {
		n, err := sz.Instances(ctx, s.t)
		if err != nil {
			return nil, err
		}
		instances = n
	}
	s.res.Plan = cfg.Plan(instances)
	return s.run(ctx)
}

// check asks the provider whether it can carry out the plan.
func (r *Runner) check() error {
	cfg := &r.Config
	if c, ok := r.Provider.(Checker); ok {
		if err := c.Check(cfg.Strategy); err != nil {
			return fault.Errorf(fault.Usage, "deploy.strategy: %s: %v", cfg.Strategy, err)
		}
	}
	if cfg.Shadow != nil {
		if _, ok := r.Provider.(Mirrorer); !ok {
			return fault.Errorf(fault.Usage, "deploy.shadow: provider %s cannot mirror traffic", r.ProviderName)
		}
	}
	if cfg.Route != nil {
		if _, ok := r.Provider.(Router); !ok {
			return fault.Errorf(fault.Usage, "deploy.route: provider %s cannot route by header or cookie", r.ProviderName)
		}
	}
	return nil
}

func (r *Runner) lastDeployed(ctx context.Context, release string) (string, error) {
	rels, err := r.Ledger.Releases(ctx)
	if err != nil {
		return "", err
	}
	best := ""
	var at time.Time
	for _, rel := range rels {
		if rel.Name == release || rel.State != ledger.Deployed || rel.DeployedAt == nil {
			continue
		}
		if best == "" || !rel.DeployedAt.Before(at) {
			best, at = rel.Name, *rel.DeployedAt
		}
	}
	return best, nil
}

func (s *state) run(ctx context.Context) (*Result, error) {
	r, cfg, req := s.r, &s.r.Config, s.req
	l := r.Ledger
	first := 1
	stableDesc := req.Stable
	if stableDesc == "" {
		stableDesc = "none recorded: first rollout"
	}
	r.printf("lockstep deploy: %s of %s (stable %s) to %s via %s, %d steps", cfg.Strategy, req.Release, stableDesc, req.Environment, r.ProviderName, len(s.res.Plan))
	if l == nil {
		r.printf("warning: no --database: the rollout is not recorded; contract migrations stay locked and a re-run cannot find an interrupted rollout")
	}
	if l != nil {
		rel, err := l.Release(ctx, req.Release)
		if err == nil && rel.State == ledger.Deployed {
			s.res.Outcome = AlreadyDeployed
			s.res.Reason = fmt.Sprintf("%s is already deployed (since %s): nothing to do", req.Release, fmtTime(rel.DeployedAt))
			r.printf("%s", s.res.Reason)
			return s.finish(), nil
		}
		if err != nil && !errors.Is(err, ledger.ErrNoRelease) {
			return nil, err
		}
		if _, err := l.EnsureRelease(ctx, req.Release, req.Commit); err != nil {
			return nil, err
		}
		cur, running, err := l.RunningRollout(ctx, req.Environment)
		if err != nil {
			return nil, err
		}
		if running && cur.Release != req.Release {
			return nil, fault.Errorf(fault.Failed, "rollout #%d of %s is running in %s since %s (step %d, %d%%); wait for it, or if its runner died re-run `lockstep deploy --release %s --env %s` to recover it",
				cur.ID, cur.Release, cur.Environment, cur.StartedAt.Format(time.RFC3339), cur.Step, cur.Weight, cur.Release, cur.Environment)
		}
		if running {
			n, err := s.recover(ctx, cur)
			if err != nil {
				return s.res, err
			}
			first = n
		} else if last, ok, err := l.LastRollout(ctx, req.Release, req.Environment); err != nil {
			return nil, err
		} else if ok && last.State == ledger.RolloutInterrupted && last.Step > 0 {
			if req.Restart {
				s.note("rollout #%d of %s was interrupted at step %d (%d%%) on %s; traffic was put back on %s. --restart: starting again from step 1", last.ID, req.Release, last.Step, last.Weight, fmtTime(&last.UpdatedAt), last.Stable)
			} else {
				first = min(last.Step, len(s.res.Plan))
				s.note("rollout #%d of %s was interrupted at step %d (%d%%) on %s; traffic was put back on %s. Resuming at step %d (--restart starts from step 1)", last.ID, req.Release, last.Step, last.Weight, fmtTime(&last.UpdatedAt), last.Stable, first)
			}
		} else if ok && last.State == ledger.RolloutRolledBack {
			s.note("rollout #%d of %s was rolled back on %s (%v); starting a new rollout", last.ID, req.Release, fmtTime(last.FinishedAt), last.Details["reason"])
		}
	}
	safety, err := RollbackSafety(ctx, l, req.Release, req.Stable)
	if err != nil {
		return nil, err
	}
	s.res.Safety = safety
	r.printf("rollback safety: %s", safety.Summary)
	if !safety.Automatic() {
		r.printf("automatic rollback to %s is disabled for this rollout: a failure pauses it and pages", req.Stable)
	}
	if l != nil {
		ro, err := l.StartRollout(ctx, ledger.Rollout{Release: req.Release, Environment: req.Environment, Strategy: string(cfg.Strategy), Stable: req.Stable,
			Details: map[string]any{"provider": r.ProviderName, "plan": planStrings(s.res.Plan), "safety": safety, "first_step": first}})
		if err != nil {
			if errors.Is(err, ledger.ErrRolloutRunning) {
				return nil, fault.Wrap(fault.Failed, err, "start rollout")
			}
			return nil, err
		}
		s.id = ro.ID
		s.res.RolloutID = ro.ID
		if _, err := l.SetReleaseState(ctx, req.Release, ledger.Deploying, r.Actor); err != nil {
			return nil, err
		}
		s.audit(ctx, "rollout.start", "", map[string]any{"rollout": ro.ID, "strategy": cfg.Strategy, "stable": req.Stable, "first_step": first, "safety": safety.Level})
	}
	return s.execute(ctx, first)
}

// recover handles a rollout the ledger says is running: its runner died
// (or it paused after a refused rollback). It returns the step to start at.
func (s *state) recover(ctx context.Context, cur ledger.Rollout) (int, error) {
	r, req := s.r, s.req
	if paused, _ := cur.Details["paused"].(bool); paused {
		if !req.Resume {
			return 0, fault.Errorf(fault.Failed, "rollout #%d of %s is paused at step %d (%d%%) since %s: %v; traffic is still split. Continue it with --resume, or move traffic yourself and finish it",
				cur.ID, cur.Release, cur.Step, cur.Weight, fmtTime(&cur.UpdatedAt), cur.Details["reason"])
		}
		s.note("rollout #%d of %s was paused at step %d (%d%%): --resume continues from there", cur.ID, cur.Release, cur.Step, cur.Weight)
		if err := r.Ledger.FinishRollout(ctx, cur.ID, ledger.RolloutInterrupted, map[string]any{"continued": true}); err != nil {
			return 0, err
		}
		return max(1, min(cur.Step, len(s.res.Plan))), nil
	}
	s.note("rollout #%d of %s is still recorded running at step %d (%d%%) since %s: its runner stopped without cleaning up. Traffic may be split: putting it back on %s first",
		cur.ID, cur.Release, cur.Step, cur.Weight, fmtTime(&cur.UpdatedAt), stableName(cur.Stable))
	safety, err := RollbackSafety(ctx, r.Ledger, req.Release, req.Stable)
	if err != nil {
		return 0, err
	}
	if !safety.Automatic() {
		return 0, fault.Errorf(fault.Failed, "refusing to put traffic back on %s: %s; the rollout stays at step %d. Continue it with --resume", req.Stable, safety.Summary, cur.Step)
	}
	t := s.t
	t.Step = cur.Step
	t.KeepCandidate = true
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Config.Rollback.Timeout)
	defer cancel()
	if err := r.Provider.Rollback(rctx, t); err != nil {
		return 0, fmt.Errorf("recover rollout #%d: put traffic back on %s: %w", cur.ID, stableName(cur.Stable), err)
	}
	r.observe(Event{Kind: "rollback", Step: cur.Step})
	if err := r.Ledger.FinishRollout(ctx, cur.ID, ledger.RolloutInterrupted, map[string]any{"recovered": true, "reason": "runner stopped; recovered by a re-run"}); err != nil {
		return 0, err
	}
	s.audit(ctx, "rollout.recovered", "runner stopped mid-rollout", map[string]any{"rollout": cur.ID, "step": cur.Step, "weight": cur.Weight})
	if s.req.Restart {
		s.note("traffic is on %s; --restart: starting again from step 1", stableName(cur.Stable))
		return 1, nil
	}
	n := max(1, min(cur.Step, len(s.res.Plan)))
	s.note("traffic is on %s; resuming at step %d (--restart starts from step 1)", stableName(cur.Stable), n)
	return n, nil
}

func (s *state) note(format string, a ...any) {
	line := fmt.Sprintf(format, a...)
	s.res.Notes = append(s.res.Notes, line)
	s.r.printf("%s", line)
}

// execute deploys and walks the plan from step first.
func (s *state) execute(ctx context.Context, first int) (*Result, error) {
	r := s.r
	p := r.Provider
	s.started = time.Now()
	if err := p.Deploy(ctx, s.t); err != nil {
		return s.abort(ctx, fmt.Sprintf("deploy %s: %v", s.t.Release, err), err)
	}
	r.observe(Event{Kind: "deploy"})
	if err := s.waitHealthy(ctx); err != nil {
		return s.abort(ctx, err.Error(), err)
	}
	r.printf("deployed %s: healthy", s.t.Release)
	for i := first; i <= len(s.res.Plan); i++ {
		step := s.res.Plan[i-1]
		s.t.Step = i
		s.res.Step = i
		rec := StepRecord{Index: i, Step: step.String(), Started: r.now()}
		r.printf("step %d/%d: %s", i, len(s.res.Plan), step)
		if err := s.apply(ctx, step); err != nil {
			return s.abort(ctx, fmt.Sprintf("step %d (%s): %v", i, step, err), err)
		}
		rec.Weight = s.weight
		if r.Ledger != nil {
			if err := r.Ledger.UpdateRollout(ctx, s.id, i, s.weight, map[string]any{"step_name": step.String()}); err != nil && ctx.Err() == nil {
				return s.abort(ctx, fmt.Sprintf("record step %d: %v", i, err), err)
			}
		}
		if s.weight > 0 || step.Kind == StepMirror || step.Kind == StepRoute {
			if err := s.waitHealthy(ctx); err != nil {
				return s.abort(ctx, fmt.Sprintf("step %d (%s): %v", i, step, err), err)
			}
		}
		v, err := s.analyse(ctx, step, &rec)
		rec.Took = r.now().Sub(rec.Started)
		s.res.Steps = append(s.res.Steps, rec)
		if err != nil {
			return s.abort(ctx, fmt.Sprintf("step %d (%s): %v", i, step, err), err)
		}
		if v != nil {
			s.res.Verdict = v
			return s.fail(ctx, v)
		}
		s.res.Steps[len(s.res.Steps)-1].Passed = true
	}
	// Promote.
	if err := p.Promote(ctx, s.t); err != nil {
		return s.abort(ctx, fmt.Sprintf("promote %s: %v", s.t.Release, err), err)
	}
	s.weight = 100
	r.observe(Event{Kind: "promote", Weight: 100})
	s.res.Outcome = Promoted
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if l := r.Ledger; l != nil {
		if err := l.FinishRollout(dctx, s.id, ledger.RolloutPromoted, map[string]any{"counts": s.an.counts()}); err != nil {
			return s.finish(), err
		}
		if _, err := l.SetReleaseState(dctx, s.t.Release, ledger.Deployed, r.Actor); err != nil {
			return s.finish(), err
		}
		s.audit(dctx, "rollout.promoted", "", map[string]any{"rollout": s.id, "counts": s.an.counts()})
		s.res.Recorded = true
		r.printf("promoted %s: all traffic, recorded deployed in %s (contract migrations waiting for it may run)", s.t.Release, s.t.Environment)
	} else {
		r.printf("promoted %s: all traffic (not recorded: no ledger)", s.t.Release)
	}
	return s.finish(), nil
}

func (s *state) apply(ctx context.Context, step Step) error {
	r, p := s.r, s.r.Provider
	if s.mirror && step.Kind != StepMirror {
		if err := p.(Mirrorer).Mirror(ctx, s.t, 0); err != nil {
			return fmt.Errorf("stop mirroring: %w", err)
		}
		s.mirror = false
		r.observe(Event{Kind: "mirror", Step: s.t.Step})
	}
	switch step.Kind {
	case StepMirror:
		if err := p.(Mirrorer).Mirror(ctx, s.t, step.Weight); err != nil {
			return err
		}
		s.mirror = true
		r.observe(Event{Kind: "mirror", Step: s.t.Step, Weight: step.Weight})
	case StepRoute:
		if err := p.(Router).Route(ctx, s.t, step.Match); err != nil {
			return err
		}
		s.routed = true
		r.observe(Event{Kind: "route", Step: s.t.Step})
	case StepPreview:
	case StepWeight, StepSwitch:
		began := time.Now()
		if err := p.SetWeight(ctx, s.t, step.Weight); err != nil {
			return err
		}
		s.weight = step.Weight
		r.observe(Event{Kind: "weight", Step: s.t.Step, Weight: step.Weight, Began: began})
	}
	return nil
}

func (s *state) waitHealthy(ctx context.Context) error {
	h := s.r.Config.Health
	deadline := time.Now().Add(h.Timeout)
	for {
		err := s.r.Provider.Health(ctx, s.t)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrUnhealthy) {
			return fmt.Errorf("health of %s: %w", s.t.Release, err)
		}
		if time.Now().Add(h.Interval).After(deadline) {
			return fmt.Errorf("%s not healthy after %s: %w", s.t.Release, h.Timeout, err)
		}
		if err := sleep(ctx, h.Interval); err != nil {
			return err
		}
	}
}

// analyse measures during a step's pause: the first measurement after the
// initial delay, then one every interval. The step ends at its pause once
// every metric's last measurement succeeded; otherwise it is extended, one
// interval at a time, until a success or a limit decides.
func (s *state) analyse(ctx context.Context, step Step, rec *StepRecord) (*Verdict, error) {
	r, a := s.r, &s.r.Config.Analysis
	start := time.Now()
	end := start.Add(step.Pause)
	if s.an.empty() {
		return nil, sleep(ctx, step.Pause)
	}
	next := start.Add(*a.InitialDelay)
	extended, first := false, true
	for {
		if err := sleep(ctx, time.Until(next)); err != nil {
			return nil, err
		}
		vars := QueryVars{Release: s.t.Release, Candidate: s.t.Release, Stable: s.t.Stable, Environment: s.t.Environment, Step: s.t.Step, Weight: s.weight, Interval: PromDuration(a.Interval)}
		ms := s.an.measure(ctx, vars, time.Now())
		// The data of a new weight may not be scraped yet: during a step's
		// first interval, "no data" is asked again shortly instead of being
		// counted. It never passes either way.
		for first && noData(ms) && time.Until(start.Add(a.Interval)) > 0 {
			if err := sleep(ctx, min(retryNoData(a.Interval), time.Until(start.Add(a.Interval)))); err != nil {
				return nil, err
			}
			ms = s.an.measure(ctx, vars, time.Now())
		}
		first = false
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.an.count(ms)
		worst := Successful
		for _, m := range ms {
			rec.Measurements = append(rec.Measurements, m)
			r.printf("  %-14s %-12s %s", m.Metric, m.Phase, m.Reason)
			worst = worse(worst, m.Phase)
		}
		r.observe(Event{Kind: "measure", Step: s.t.Step, Weight: s.weight, Phase: worst})
		s.recordMeasurements(ctx, ms)
		if v := s.an.exceeded(); v != nil {
			return v, nil
		}
		next = next.Add(a.Interval)
		if next.After(end) {
			if s.an.passing() {
				return nil, sleep(ctx, time.Until(end))
			}
			if !extended {
				r.printf("  step %d extended: waiting for a successful measurement before going on", s.t.Step)
				extended = true
			}
		}
	}
}

// retryNoData is how soon a measurement without data is asked again
// during a step's first interval.
func retryNoData(interval time.Duration) time.Duration {
	return max(interval/20, 20*time.Millisecond)
}

func worse(a, b Phase) Phase {
	rank := map[Phase]int{Successful: 0, Inconclusive: 1, Errored: 2, Failed: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func (s *state) recordMeasurements(ctx context.Context, ms []Measurement) {
	l := s.r.Ledger
	if l == nil {
		return
	}
	for _, m := range ms {
		d := map[string]any{"rollout": s.id, "measurement": m}
		if err := l.Audit(ctx, ledger.Entry{Actor: s.r.Actor, Action: "rollout.measurement", Release: s.t.Release, Environment: s.t.Environment, Reason: m.Metric + ": " + string(m.Phase), Details: d}); err != nil {
			s.r.log().Warn("record measurement", "release", s.t.Release, "err", err)
		}
	}
	if err := l.UpdateRollout(ctx, s.id, s.t.Step, s.weight, map[string]any{"last_measurements": ms, "counts": s.an.counts()}); err != nil {
		s.r.log().Warn("record measurement", "release", s.t.Release, "err", err)
	}
}

// fail reacts to an exceeded limit: roll back, or pause and page when the
// rollback is refused (unsafe) or disabled.
func (s *state) fail(ctx context.Context, v *Verdict) (*Result, error) {
	reason := v.String()
	s.r.printf("analysis failed: %s", reason)
	if err := s.rollback(ctx, reason, RolledBack); err != nil {
		return s.finish(), err
	}
	return s.finish(), nil
}

// abort handles an error mid-rollout: cancellation interrupts (traffic back
// to stable, recorded interrupted); anything else rolls back and is
// returned.
func (s *state) abort(ctx context.Context, reason string, cause error) (*Result, error) {
	if ctx.Err() != nil {
		s.r.printf("interrupted at step %d: %v", s.t.Step, context.Cause(ctx))
		if err := s.rollback(ctx, "interrupted: "+context.Cause(ctx).Error(), Interrupted); err != nil {
			return s.finish(), err
		}
		return s.finish(), context.Cause(ctx)
	}
	s.r.printf("rollout failed: %s", reason)
	if err := s.rollback(ctx, reason, RolledBack); err != nil {
		return s.finish(), errors.Join(cause, err)
	}
	return s.finish(), cause
}

// rollback puts traffic back on stable under a context of its own, so it
// runs even after a cancellation, and records the outcome.
func (s *state) rollback(ctx context.Context, reason string, outcome Outcome) error {
	r, cfg := s.r, &s.r.Config
	s.res.Reason = reason
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Rollback.Timeout)
	defer cancel()
	refused := ""
	switch {
	case !s.res.Safety.Automatic():
		refused = fmt.Sprintf("refusing to roll back %s to %s automatically: %s", s.t.Release, stableName(s.t.Stable), s.res.Safety.Summary)
	case !*cfg.Rollback.Automatic && outcome == RolledBack:
		refused = fmt.Sprintf("automatic rollback is off (deploy.rollback.automatic: false): %s stays at %d%%", s.t.Release, s.weight)
	}
	if refused != "" {
		s.res.Outcome = Paused
		s.res.Reason = reason + "; " + refused
		r.printf("%s", refused)
		r.printf("traffic stays split: %d%% on %s, the rest on %s. Paging.", s.weight, s.t.Release, stableName(s.t.Stable))
		if r.Page != nil {
			if err := r.Page(rctx, s.t, s.res.Reason); err != nil {
				r.printf("page failed: %v", err)
			}
		}
		if l := r.Ledger; l != nil {
			s.audit(rctx, "rollout.rollback-refused", s.res.Reason, map[string]any{"rollout": s.id, "step": s.t.Step, "weight": s.weight, "safety": s.res.Safety})
			if err := l.UpdateRollout(rctx, s.id, s.t.Step, s.weight, map[string]any{"paused": true, "reason": s.res.Reason}); err != nil {
				return err
			}
			s.res.Recorded = true
		}
		return nil
	}
	r.printf("rolling back: traffic to %s", stableName(s.t.Stable))
	reached := s.weight
	began := time.Now()
	err := r.Provider.Rollback(rctx, s.t)
	s.res.RollbackTook = time.Since(began)
	if err != nil {
		s.res.Outcome = Paused
		s.res.Reason = reason + fmt.Sprintf("; rollback failed: %v", err)
		r.printf("ROLLBACK FAILED after %s: %v; traffic may still reach %s", s.res.RollbackTook.Round(time.Millisecond), err, s.t.Release)
		if r.Page != nil {
			_ = r.Page(rctx, s.t, s.res.Reason)
		}
		if l := r.Ledger; l != nil {
			s.audit(rctx, "rollout.rollback-failed", s.res.Reason, map[string]any{"rollout": s.id, "step": s.t.Step})
			_ = l.UpdateRollout(rctx, s.id, s.t.Step, s.weight, map[string]any{"paused": true, "reason": s.res.Reason})
		}
		return fmt.Errorf("rollback of %s: %w", s.t.Release, err)
	}
	s.weight = 0
	r.observe(Event{Kind: "rollback", Step: s.t.Step})
	s.res.Outcome = outcome
	r.printf("traffic back on %s after %s", stableName(s.t.Stable), s.res.RollbackTook.Round(time.Millisecond))
	l := r.Ledger
	if l == nil {
		return nil
	}
	details := map[string]any{"reason": reason, "step": s.t.Step, "counts": s.an.counts(), "rollback_ms": s.res.RollbackTook.Milliseconds()}
	// The step and weight reached, which a cancellation may have kept from
	// being recorded: a re-run resumes there.
	if err := l.UpdateRollout(rctx, s.id, s.t.Step, reached, nil); err != nil {
		return err
	}
	if s.res.Verdict != nil {
		details["metric"] = s.res.Verdict.Metric
		details["measurement"] = s.res.Verdict.Last
	}
	if outcome == Interrupted {
		if err := l.FinishRollout(rctx, s.id, ledger.RolloutInterrupted, details); err != nil {
			return err
		}
		s.audit(rctx, "rollout.interrupted", reason, details)
		r.printf("recorded rollout #%d interrupted at step %d; a re-run resumes it", s.id, s.t.Step)
	} else {
		if err := l.FinishRollout(rctx, s.id, ledger.RolloutRolledBack, details); err != nil {
			return err
		}
		if _, err := l.SetReleaseState(rctx, s.t.Release, ledger.RolledBack, r.Actor); err != nil {
			return err
		}
		s.audit(rctx, "rollout.rollback", reason, details)
		r.printf("recorded %s rolled back in %s: its contract migrations stay blocked", s.t.Release, s.t.Environment)
	}
	s.res.Recorded = true
	return nil
}

func (s *state) audit(ctx context.Context, action, reason string, details map[string]any) {
	if s.r.Ledger == nil {
		return
	}
	if err := s.r.Ledger.Audit(ctx, ledger.Entry{Actor: s.r.Actor, Action: action, Release: s.t.Release, Environment: s.t.Environment, Reason: reason, Details: details}); err != nil {
		s.r.log().Warn("audit", "action", action, "release", s.t.Release, "err", err)
	}
}

func (s *state) finish() *Result {
	s.res.Finished = s.r.now()
	return s.res
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func planStrings(p []Step) []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = s.String()
	}
	return out
}

func stableName(s string) string {
	if s == "" {
		return "stable"
	}
	return s
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// ExitReason is the one line cmd prints for an outcome other than
// Promoted: the metric and figures that failed.
func (res *Result) ExitReason() string {
	switch res.Outcome {
	case RolledBack:
		return fmt.Sprintf("rolled back %s to %s: %s", res.Release, stableName(res.Stable), res.Reason)
	case Paused:
		return fmt.Sprintf("rollout of %s paused, traffic split, paged: %s", res.Release, res.Reason)
	case Interrupted:
		return fmt.Sprintf("rollout of %s interrupted at step %d, traffic back on %s; re-run to resume", res.Release, res.Step, stableName(res.Stable))
	}
	return strings.TrimSpace(res.Reason)
}
