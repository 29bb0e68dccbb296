package deployer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/ledger"
)

func f64(v float64) *float64 { return &v }
func iptr(v int) *int        { return &v }

const errQuery = `sum(rate(http_requests_total{version="{{.Release}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{version="{{.Release}}"}[1m]))`

// canaryConfig is the configuration of the issue, as Go values.
func canaryConfig() deployer.Config {
	return deployer.Config{
		Provider: "fake",
		Strategy: deployer.Canary,
		Canary: deployer.CanaryConfig{Steps: []deployer.StepConfig{
			{Weight: 20, Pause: time.Second}, {Weight: 50, Pause: time.Second}, {Weight: 100},
		}},
		Analysis: deployer.AnalysisConfig{
			Prometheus:   "http://127.0.0.1:9090",
			Interval:     time.Second,
			FailureLimit: iptr(1),
			Metrics:      []deployer.MetricConfig{{Name: "error-rate", Query: errQuery, Max: f64(0.01)}},
		},
	}
}

// values answers queries by the release they name.
type values struct {
	mu      sync.Mutex
	byRel   map[string]func(n int) []float64
	n       map[string]int
	queries []string
}

func (v *values) Query(ctx context.Context, q string, at time.Time) ([]float64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.queries = append(v.queries, q)
	for rel, f := range v.byRel {
		if strings.Contains(q, `"`+rel+`"`) {
			if v.n == nil {
				v.n = map[string]int{}
			}
			v.n[rel]++
			out := f(v.n[rel])
			if out == nil {
				return nil, errors.New("connection refused")
			}
			return out, nil
		}
	}
	return []float64{}, nil
}

func constant(x float64) func(int) []float64 { return func(int) []float64 { return []float64{x} } }

type harness struct {
	p      *fakeProvider
	l      *memLedger
	out    bytes.Buffer
	events []deployer.Event
	mu     sync.Mutex
}

func (h *harness) runner(cfg deployer.Config, m deployer.Metrics) *deployer.Runner {
	return &deployer.Runner{Config: cfg, Provider: h.p, ProviderName: "fake", Metrics: m, Ledger: h.l, Out: &h.out, Actor: "test",
		Observe: func(e deployer.Event) { h.mu.Lock(); h.events = append(h.events, e); h.mu.Unlock() }}
}

func newHarness() *harness {
	h := &harness{p: newFake(), l: newMemLedger()}
	h.l.deployed("v1")
	return h
}

func (h *harness) eventAt(kind string, weight int) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Kind == kind && (weight < 0 || e.Weight == weight) {
			return e.At, true
		}
	}
	return time.Time{}, false
}

func TestCanaryPromotedThroughEveryStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		m := &values{byRel: map[string]func(int) []float64{"v2": constant(0.001)}}
		start := time.Now()
		res, err := h.runner(canaryConfig(), m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != deployer.Promoted {
			t.Fatalf("outcome = %s (%s); want promoted\n%s", res.Outcome, res.Reason, h.out.String())
		}
		want := []string{"deploy v2", "weight 20", "weight 50", "weight 100", "promote"}
		if d := cmp.Diff(want, h.p.Calls()); d != "" {
			t.Errorf("provider calls (-want +got):\n%s", d)
		}
		if res.Stable != "v1" {
			t.Errorf("stable = %q; want v1 (the ledger's last deployed release)", res.Stable)
		}
		// 1s + 1s pauses, then the 100% step's one measurement after half an interval.
		if took := time.Since(start); took != 2500*time.Millisecond {
			t.Errorf("rollout took %s; want 2.5s", took)
		}
		rel, _ := h.l.Release(context.Background(), "v2")
		if rel.State != ledger.Deployed {
			t.Errorf("release state = %s; want deployed", rel.State)
		}
		if got := len(h.l.actions("rollout.measurement")); got != 3 {
			t.Errorf("%d measurements recorded; want 3 (one per step)", got)
		}
		if !strings.Contains(m.queries[0], `version="v2"`) {
			t.Errorf("query not templated with the release: %s", m.queries[0])
		}
		for _, s := range []string{"step 1/3: weight 20%", "error-rate", "0.001 <= max 0.01", "promoted v2"} {
			if !strings.Contains(h.out.String(), s) {
				t.Errorf("output lacks %q:\n%s", s, h.out.String())
			}
		}
	})
}

func TestFailingCanaryRolledBackWithinBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		m := &values{byRel: map[string]func(int) []float64{"v2": constant(0.3)}}
		cfg := canaryConfig()
		res, err := h.runner(cfg, m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != deployer.RolledBack {
			t.Fatalf("outcome = %s; want rolled-back", res.Outcome)
		}
		// The failing candidate is never given more traffic: step 1 is
		// extended instead of advancing to 50%.
		want := []string{"deploy v2", "weight 20", "rollback"}
		if d := cmp.Diff(want, h.p.Calls()); d != "" {
			t.Errorf("provider calls (-want +got):\n%s", d)
		}
		reached, _ := h.eventAt("weight", 20)
		back, ok := h.eventAt("rollback", -1)
		if !ok {
			t.Fatal("no rollback event")
		}
		bound := time.Duration(*cfg.Analysis.FailureLimit+1) * cfg.Analysis.Interval
		if d := back.Sub(reached); d > bound {
			t.Errorf("traffic back on stable %s after reaching the candidate; want within (failure_limit+1) × interval = %s", d, bound)
		}
		if res.Verdict == nil || res.Verdict.Metric != "error-rate" || res.Verdict.Phase != deployer.Failed || res.Verdict.Count != 2 {
			t.Errorf("verdict = %+v; want error-rate failed twice", res.Verdict)
		}
		if !strings.Contains(res.ExitReason(), "0.3 > max 0.01") {
			t.Errorf("exit reason %q lacks the figures", res.ExitReason())
		}
		rel, _ := h.l.Release(context.Background(), "v2")
		if rel.State != ledger.RolledBack {
			t.Errorf("release state = %s; want rolled-back", rel.State)
		}
		ro, _, _ := h.l.LastRollout(context.Background(), "v2", "production")
		if ro.State != ledger.RolloutRolledBack || ro.Details["metric"] != "error-rate" {
			t.Errorf("rollout = %s %v; want rolled-back by error-rate", ro.State, ro.Details)
		}
	})
}

func TestNoDataNeverPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		m := &values{byRel: map[string]func(int) []float64{"v2": func(int) []float64 { return []float64{} }}}
		res, err := h.runner(canaryConfig(), m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != deployer.RolledBack || res.Verdict == nil || res.Verdict.Phase != deployer.Inconclusive {
			t.Fatalf("outcome %s verdict %+v; want rolled back as inconclusive", res.Outcome, res.Verdict)
		}
		if !strings.Contains(res.Verdict.Last.Reason, "no data for v2") {
			t.Errorf("reason = %q", res.Verdict.Last.Reason)
		}
	})
}

func TestConsecutiveErrorLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Errors 1-3, a success, errors again: only consecutive ones count;
		// the default limit is 4, so the fifth error in a row decides.
		h := newHarness()
		m := &values{byRel: map[string]func(int) []float64{"v2": func(n int) []float64 {
			if n == 4 {
				return []float64{0}
			}
			return nil
		}}}
		cfg := canaryConfig()
		res, err := h.runner(cfg, m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == nil || res.Verdict.Phase != deployer.Errored || res.Verdict.Count != 5 {
			t.Fatalf("verdict %+v; want 5 consecutive errors", res.Verdict)
		}
		if n := m.n["v2"]; n != 9 {
			t.Errorf("%d measurements; want 9 (3 errors, 1 success, 5 errors)", n)
		}
	})
}

func TestStepWaitsForSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		m := &values{byRel: map[string]func(int) []float64{"v2": func(n int) []float64 {
			if n == 1 {
				return []float64{0.05}
			}
			return []float64{0}
		}}}
		var weights []int
		h.p.onWeight = func(w int) { weights = append(weights, w) }
		res, err := h.runner(canaryConfig(), m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil || res.Outcome != deployer.Promoted {
			t.Fatalf("outcome %v %v; want promoted after one failure within failure_limit 1", res.Outcome, err)
		}
		if len(res.Steps[0].Measurements) != 2 {
			t.Errorf("step 1 has %d measurements; want 2 (extended after the failure)", len(res.Steps[0].Measurements))
		}
		if !strings.Contains(h.out.String(), "step 1 extended") {
			t.Errorf("output does not say the step was extended:\n%s", h.out.String())
		}
	})
}

func TestBaselineComparisons(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		cfg := canaryConfig()
		cfg.Analysis.Metrics = []deployer.MetricConfig{
			{Name: "errors", Query: `errors{version="{{.Release}}"}`, MaxIncrease: f64(0.01)},
			{Name: "p99", Query: `p99{version="{{.Release}}"}`, MaxRatio: f64(1.5)},
		}
		m := deployer.MetricsFunc(func(ctx context.Context, q string, at time.Time) ([]float64, error) {
			switch q {
			case `errors{version="v2"}`:
				return []float64{0.015}, nil
			case `errors{version="v1"}`:
				return []float64{0.01}, nil
			case `p99{version="v2"}`:
				return []float64{0.4}, nil
			case `p99{version="v1"}`:
				return []float64{0.2}, nil
			}
			t.Errorf("unexpected query %s", q)
			return nil, nil
		})
		res, err := h.runner(cfg, m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		ms := res.Steps[0].Measurements
		if ms[0].Phase != deployer.Successful || ms[0].Reason != "0.015 - baseline 0.01 = 0.005 <= max_increase 0.01" {
			t.Errorf("errors: %s %q", ms[0].Phase, ms[0].Reason)
		}
		if ms[1].Phase != deployer.Failed || ms[1].Reason != "0.4 / baseline 0.2 = 2 > max_ratio 1.5" {
			t.Errorf("p99: %s %q", ms[1].Phase, ms[1].Reason)
		}
		if res.Outcome != deployer.RolledBack || res.Verdict.Metric != "p99" {
			t.Errorf("outcome %s verdict %+v; want rolled back by p99", res.Outcome, res.Verdict)
		}
	})
}

func TestMinRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		cfg := canaryConfig()
		cfg.Analysis.InconclusiveLimit = iptr(2)
		cfg.Analysis.Metrics[0].MinRequests = 50
		cfg.Analysis.Metrics[0].Requests = `sum(increase(http_requests_total{version="{{.Release}}"}[1m]))`
		n := 0
		m := deployer.MetricsFunc(func(ctx context.Context, q string, at time.Time) ([]float64, error) {
			if strings.HasPrefix(q, "sum(increase") {
				n++
				return []float64{float64(n * 20)}, nil // 20, 40, 60, ...
			}
			return []float64{0}, nil
		})
		res, err := h.runner(cfg, m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil || res.Outcome != deployer.Promoted {
			t.Fatalf("outcome %v %v", res.Outcome, err)
		}
		got := []deployer.Phase{}
		for _, st := range res.Steps {
			for _, m := range st.Measurements {
				got = append(got, m.Phase)
			}
		}
		want := []deployer.Phase{deployer.Inconclusive, deployer.Inconclusive, deployer.Successful, deployer.Successful, deployer.Successful}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("phases (-want +got):\n%s", d)
		}
		if r := res.Steps[0].Measurements[0].Reason; r != "20 requests < min_requests 50" {
			t.Errorf("reason = %q", r)
		}
	})
}

func TestJudgeFailsShiftedCandidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		cfg := canaryConfig()
		cfg.Canary.Steps = []deployer.StepConfig{{Weight: 50, Pause: 10 * time.Second}}
		cfg.Analysis.Metrics = []deployer.MetricConfig{{Name: "latency", Query: `lat{version="{{.Release}}"}`, Judge: &deployer.JudgeConfig{MinSamples: 5}}}
		cand := []float64{0.31, 0.35, 0.33, 0.36, 0.34, 0.32}
		base := []float64{0.20, 0.22, 0.21, 0.19, 0.23, 0.2}
		var nc, nb int
		m := deployer.MetricsFunc(func(ctx context.Context, q string, at time.Time) ([]float64, error) {
			if strings.Contains(q, "v2") {
				nc++
				return []float64{cand[(nc-1)%len(cand)]}, nil
			}
			nb++
			return []float64{base[(nb-1)%len(base)]}, nil
		})
		res, err := h.runner(cfg, m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != deployer.RolledBack {
			t.Fatalf("outcome %s; want rolled back by the judge", res.Outcome)
		}
		ms := res.Steps[0].Measurements
		if len(ms) != 6 {
			t.Fatalf("%d measurements; want 6 (4 waiting, then 5th passing within failure_limit 1, 6th failing)", len(ms))
		}
		if ms[0].Phase != deployer.Successful || !strings.Contains(ms[0].Reason, "judge waits for 5 samples") {
			t.Errorf("first: %s %q", ms[0].Phase, ms[0].Reason)
		}
		if ms[4].Phase != deployer.Failed || !strings.Contains(ms[4].Reason, "Mann-Whitney U=25 p=0.0040") {
			t.Errorf("fifth: %s %q", ms[4].Phase, ms[4].Reason)
		}
	})
}

func TestBlueGreenSwitchesBackOnPostPromotionFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		cfg := canaryConfig()
		cfg.Strategy = deployer.BlueGreen
		d := 3 * time.Second
		cfg.BlueGreen.ScaleDownDelay = &d
		cfg.Analysis.FailureLimit = iptr(0)
		m := &values{byRel: map[string]func(int) []float64{"v2": func(n int) []float64 {
			if n >= 2 {
				return []float64{0.5}
			}
			return []float64{0}
		}}}
		res, err := h.runner(cfg, m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"deploy v2", "weight 100", "rollback"}
		if d := cmp.Diff(want, h.p.Calls()); d != "" {
			t.Errorf("provider calls (-want +got):\n%s", d)
		}
		if res.Outcome != deployer.RolledBack {
			t.Errorf("outcome %s", res.Outcome)
		}
		// Healthy: switch, analyse during the scale-down delay, then retire blue.
		h2 := newHarness()
		res, err = h2.runner(cfg, &values{byRel: map[string]func(int) []float64{"v2": constant(0)}}).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil || res.Outcome != deployer.Promoted {
			t.Fatalf("healthy blue-green: %v %v", res.Outcome, err)
		}
		if d := cmp.Diff([]string{"deploy v2", "weight 100", "promote"}, h2.p.Calls()); d != "" {
			t.Errorf("provider calls (-want +got):\n%s", d)
		}
		if n := len(res.Steps[0].Measurements); n != 3 {
			t.Errorf("%d post-promotion measurements in a 3s scale-down delay; want 3", n)
		}
	})
}

func TestInterruptedThenResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		m := &values{byRel: map[string]func(int) []float64{"v2": constant(0)}}
		ctx, cancel := context.WithCancel(context.Background())
		h.p.onWeight = func(w int) {
			if w == 50 {
				cancel() // SIGTERM arrives during step 2
			}
		}
		// The rollback must run although ctx is cancelled.
		h.p.rollback = func(rctx context.Context) error { return rctx.Err() }
		res, err := h.runner(canaryConfig(), m).Run(ctx, deployer.Request{Release: "v2"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v; want context.Canceled", err)
		}
		if res.Outcome != deployer.Interrupted {
			t.Fatalf("outcome = %s; want interrupted", res.Outcome)
		}
		if d := cmp.Diff([]string{"deploy v2", "weight 20", "weight 50", "rollback"}, h.p.Calls()); d != "" {
			t.Errorf("provider calls (-want +got):\n%s", d)
		}
		ro, _, _ := h.l.LastRollout(context.Background(), "v2", "production")
		if ro.State != ledger.RolloutInterrupted || ro.Step != 2 {
			t.Errorf("rollout %s at step %d; want interrupted at 2", ro.State, ro.Step)
		}
		// The re-run says what it does and resumes at step 2.
		h.p.onWeight, h.p.calls = nil, nil
		h.out.Reset()
		res, err = h.runner(canaryConfig(), m).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil || res.Outcome != deployer.Promoted {
			t.Fatalf("re-run: %v %v", res.Outcome, err)
		}
		if d := cmp.Diff([]string{"deploy v2", "weight 50", "weight 100", "promote"}, h.p.Calls()); d != "" {
			t.Errorf("re-run provider calls (-want +got):\n%s", d)
		}
		if !strings.Contains(h.out.String(), "was interrupted at step 2 (50%)") || !strings.Contains(h.out.String(), "Resuming at step 2") {
			t.Errorf("re-run does not say what it does:\n%s", h.out.String())
		}
	})
}

func TestDeadRunnerRecovered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		ctx := context.Background()
		h.l.EnsureRelease(ctx, "v2", "")
		ro, _ := h.l.StartRollout(ctx, ledger.Rollout{Release: "v2", Environment: "production", Strategy: "canary", Stable: "v1"})
		h.l.UpdateRollout(ctx, ro.ID, 2, 50, nil) // then kill -9
		m := &values{byRel: map[string]func(int) []float64{"v2": constant(0)}}
		res, err := h.runner(canaryConfig(), m).Run(ctx, deployer.Request{Release: "v2", Restart: true})
		if err != nil || res.Outcome != deployer.Promoted {
			t.Fatalf("%v %v\n%s", res.Outcome, err, h.out.String())
		}
		want := []string{"rollback", "deploy v2", "weight 20", "weight 50", "weight 100", "promote"}
		if d := cmp.Diff(want, h.p.Calls()); d != "" {
			t.Errorf("provider calls (-want +got):\n%s", d)
		}
		if !strings.Contains(h.out.String(), "still recorded running at step 2 (50%)") || !strings.Contains(h.out.String(), "--restart: starting again from step 1") {
			t.Errorf("output:\n%s", h.out.String())
		}
		// Another release cannot start while one runs.
		h.l.StartRollout(ctx, ledger.Rollout{Release: "v3", Environment: "production", Strategy: "canary"})
		_, err = h.runner(canaryConfig(), m).Run(ctx, deployer.Request{Release: "v4"})
		if err == nil || !strings.Contains(err.Error(), "rollout #3 of v3 is running in production") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestUnsafeRollbackRefusedAndPaged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		ctx := context.Background()
		h.l.EnsureRelease(ctx, "v2", "")
		now := time.Now().Add(time.Minute)
		h.l.migrations = []ledger.Migration{
			{Version: 3, Name: "add_email", Phase: "expand", AppliedIn: "v2", AppliedAt: &now},
			{Version: 4, Name: "drop_login", Phase: "contract", AppliedIn: "v2", AppliedAt: &now},
		}
		var paged string
		r := h.runner(canaryConfig(), &values{byRel: map[string]func(int) []float64{"v2": constant(1)}})
		r.Page = func(ctx context.Context, t deployer.Target, reason string) error { paged = reason; return nil }
		res, err := r.Run(ctx, deployer.Request{Release: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != deployer.Paused {
			t.Fatalf("outcome %s; want paused", res.Outcome)
		}
		for _, c := range h.p.Calls() {
			if c == "rollback" {
				t.Error("rolled back to a release that cannot read the schema")
			}
		}
		if !strings.Contains(paged, "contract 4_drop_login ran in v2") {
			t.Errorf("page reason %q", paged)
		}
		if got := h.l.actions("rollout.rollback-refused"); len(got) != 1 {
			t.Errorf("audit %v; want one rollout.rollback-refused", got)
		}
		// A re-run does not act on a paused rollout silently.
		_, err = h.runner(canaryConfig(), &values{}).Run(ctx, deployer.Request{Release: "v2"})
		if err == nil || !strings.Contains(err.Error(), "is paused at step 1 (20%)") {
			t.Errorf("re-run err = %v", err)
		}
	})
}

func TestAlreadyDeployed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		res, err := h.runner(canaryConfig(), &values{}).Run(context.Background(), deployer.Request{Release: "v1"})
		if err != nil || res.Outcome != deployer.AlreadyDeployed {
			t.Fatalf("%v %v", res, err)
		}
		if len(h.p.Calls()) != 0 {
			t.Errorf("calls %v", h.p.Calls())
		}
	})
}

func TestUnhealthyCandidateNeverGetsTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness()
		h.p.healthy = false
		cfg := canaryConfig()
		cfg.Health.Timeout = 5 * time.Second
		res, err := h.runner(cfg, &values{}).Run(context.Background(), deployer.Request{Release: "v2"})
		if err == nil || !errors.Is(err, deployer.ErrUnhealthy) {
			t.Fatalf("err = %v", err)
		}
		if res.Outcome != deployer.RolledBack {
			t.Errorf("outcome %s", res.Outcome)
		}
		if d := cmp.Diff([]string{"deploy v2", "rollback"}, h.p.Calls()); d != "" {
			t.Errorf("calls (-want +got):\n%s", d)
		}
	})
}
