package nginx_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/internal/demoapp"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/internal/promtest"
	"github.com/lockstep-dev/lockstep/ledger"
)

// The error-rate metric of the issue's configuration.
const errorRate = `sum(rate(http_requests_total{version="{{.Release}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{version="{{.Release}}"}[1m]))`

// rig is the whole loopback setup: backends, nginx, Prometheus scraping
// the backends, a load generator, the runner.
type rig struct {
	*site
	prom   *promtest.Server
	load   *demoapp.Load
	out    bytes.Buffer
	mu     sync.Mutex
	events []deployer.Event
}

func newRig(t *testing.T, stable, candidate []*backend) *rig {
	t.Helper()
	r := &rig{site: newSite(t, stable, candidate, 2)}
	targets := append(addrs(stable), addrs(candidate)...)
	r.prom = promtest.Start(t, promtest.Options{Scrape: targets, ScrapeInterval: 500 * time.Millisecond})
	r.load = demoapp.StartLoad(context.Background(), demoapp.LoadOptions{URL: r.nginx.URL + "/", Rate: 150, Workers: 6, Duration: 90 * time.Second})
	t.Cleanup(func() { r.load.Stop() })
	waitScraped(t, r.prom.URL, len(targets))
	return r
}

// waitScraped waits until Prometheus has scraped every target twice (its
// scrape manager picks targets up only some seconds after start), so
// rates over stable's traffic exist.
func waitScraped(t *testing.T, url string, n int) {
	t.Helper()
	m, err := deployer.NewPrometheus(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := m.Query(context.Background(), `count(count_over_time(up[1m]) >= 2)`, time.Now())
		if err == nil && len(v) == 1 && int(v[0]) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus has not scraped the %d targets: %v %v", n, v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *rig) runner(t *testing.T, cfg deployer.Config, l deployer.Ledger) *deployer.Runner {
	m, err := deployer.NewPrometheus(r.prom.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &deployer.Runner{Config: cfg, Provider: r.provider, ProviderName: "nginx", Metrics: m, Ledger: l, Out: &r.out, Actor: "e2e",
		Observe: func(e deployer.Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }}
}

func (r *rig) event(t *testing.T, kind string, weight int) time.Time {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Kind == kind && (weight < 0 || e.Weight == weight) {
			return e.At
		}
	}
	t.Fatalf("no %s event (weight %d) in %+v", kind, weight, r.events)
	return time.Time{}
}

// eventBegan is event's Began: when the provider was asked for the change.
func (r *rig) eventBegan(t *testing.T, kind string, weight int) time.Time {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Kind == kind && e.Weight == weight {
			return e.Began
		}
	}
	t.Fatalf("no %s event (weight %d) in %+v", kind, weight, r.events)
	return time.Time{}
}

func issueCanary() deployer.Config {
	one := 1
	maxRate := 0.01
	return deployer.Config{
		Provider: "nginx",
		Strategy: deployer.Canary,
		Stable:   "v1",
		Canary: deployer.CanaryConfig{Steps: []deployer.StepConfig{
			{Weight: 20, Pause: time.Second}, {Weight: 50, Pause: time.Second}, {Weight: 100},
		}},
		Analysis: deployer.AnalysisConfig{
			Interval:     time.Second,
			FailureLimit: &one,
			Metrics:      []deployer.MetricConfig{{Name: "error-rate", Query: errorRate, Max: &maxRate}},
		},
	}
}

func openLedger(t *testing.T) *ledger.Ledger {
	l, err := ledger.Open(context.Background(), pgtest.Database(t), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func TestE2EHealthyCanaryPromoted(t *testing.T) {
	stable := []*backend{startBackend(t, demoapp.Options{Version: "v1"})}
	cand := []*backend{startBackend(t, demoapp.Options{Version: "v2"})}
	r := newRig(t, stable, cand)
	cfg := issueCanary()
	cfg.Analysis.Prometheus = r.prom.URL
	res, err := r.runner(t, cfg, nil).Run(context.Background(), deployer.Request{Release: "v2"})
	if err != nil {
		t.Fatalf("%v\n%s", err, r.out.String())
	}
	if res.Outcome != deployer.Promoted {
		t.Fatalf("outcome %s: %s\n%s", res.Outcome, res.Reason, r.out.String())
	}
	if len(res.Steps) != 3 {
		t.Fatalf("%d steps; want 3", len(res.Steps))
	}
	for _, st := range res.Steps {
		if !st.Passed || len(st.Measurements) == 0 || st.Measurements[len(st.Measurements)-1].Phase != deployer.Successful {
			t.Errorf("step %d: passed %v, measurements %+v", st.Index, st.Passed, st.Measurements)
		}
	}
	// Each step's traffic split as configured, as the clients saw it.
	for _, w := range []int{20, 50} {
		from := r.event(t, "weight", w).Add(50 * time.Millisecond)
		s := r.load.Stats(from, from.Add(800*time.Millisecond))
		got := s.ByVersion["v2"] * 100 / max(s.Total, 1)
		if got < w-12 || got > w+12 {
			t.Errorf("at weight %d the candidate answered %d%% of %d requests", w, got, s.Total)
		}
	}
	promoted := r.event(t, "promote", 100)
	time.Sleep(300 * time.Millisecond)
	if s := r.load.Stats(promoted.Add(100*time.Millisecond), time.Time{}); s.ByVersion["v1"] != 0 || s.Total == 0 {
		t.Errorf("after promotion: %v; want every request on v2", s.ByVersion)
	}
	if s := r.load.Stats(time.Time{}, time.Time{}); s.Failed != 0 {
		t.Errorf("%d failed requests during a healthy canary: %v", s.Failed, s.FirstErrors)
	}
}

func TestE2EFailingCanaryRolledBack(t *testing.T) {
	stable := []*backend{startBackend(t, demoapp.Options{Version: "v1"})}
	cand := []*backend{startBackend(t, demoapp.Options{Version: "v2", FailRate: 0.5})}
	r := newRig(t, stable, cand)
	cfg := issueCanary()
	cfg.Analysis.Prometheus = r.prom.URL
	l := openLedger(t)
	ctx := context.Background()
	if _, err := l.SetReleaseState(ctx, "v1", ledger.Deployed, "e2e"); err != nil {
		t.Fatal(err)
	}
	res, err := r.runner(t, cfg, l).Run(ctx, deployer.Request{Release: "v2"})
	if err != nil {
		t.Fatalf("%v\n%s", err, r.out.String())
	}
	if res.Outcome != deployer.RolledBack || res.Verdict == nil || res.Verdict.Metric != "error-rate" {
		t.Fatalf("outcome %s verdict %+v\n%s", res.Outcome, res.Verdict, r.out.String())
	}
	reached := r.event(t, "weight", 20)
	back := r.event(t, "rollback", -1)
	bound := time.Duration(*cfg.Analysis.FailureLimit+1) * cfg.Analysis.Interval
	t.Logf("traffic back on stable %s after reaching the candidate (bound %s); rollback took %s", back.Sub(reached), bound, res.RollbackTook)
	if back.Sub(reached) > bound {
		t.Errorf("rolled back %s after the candidate got traffic; want within (failure_limit+1) × interval = %s\n%s", back.Sub(reached), bound, r.out.String())
	}
	time.Sleep(300 * time.Millisecond)
	if s := r.load.Stats(back.Add(50*time.Millisecond), time.Time{}); s.ByVersion["v2"] != 0 || s.Total == 0 {
		t.Errorf("after the rollback: %v; want every request on v1", s.ByVersion)
	}
	// The ledger has the rollout, the measurements and the release state.
	rel, _ := l.Release(ctx, "v2")
	if rel.State != ledger.RolledBack {
		t.Errorf("release v2 is %s; want rolled-back", rel.State)
	}
	ro, ok, _ := l.LastRollout(ctx, "v2", "production")
	if !ok || ro.State != ledger.RolloutRolledBack || ro.Details["metric"] != "error-rate" || ro.Stable != "v1" {
		t.Errorf("rollout %+v", ro)
	}
	ms, _ := l.AuditLog(ctx, ledger.AuditFilter{Release: "v2", ActionPrefix: "rollout.measurement"})
	if len(ms) != 2 {
		t.Errorf("%d measurements audited; want 2 (failure_limit 1 exceeded on the second)", len(ms))
	}
	if acts, _ := l.AuditLog(ctx, ledger.AuditFilter{Release: "v2", ActionPrefix: "rollout.rollback"}); len(acts) != 1 {
		t.Errorf("rollback audited %d times", len(acts))
	}
}

func blueGreen(prom string, delay time.Duration) deployer.Config {
	zero, two := 0, 2
	maxLatency := 0.025
	return deployer.Config{
		Provider:  "nginx",
		Strategy:  deployer.BlueGreen,
		Stable:    "v1",
		BlueGreen: deployer.BlueGreenConfig{ScaleDownDelay: &delay},
		Analysis: deployer.AnalysisConfig{
			Prometheus:   prom,
			Interval:     time.Second,
			FailureLimit: &zero,
			// Green gets traffic only at the switch: on a loaded machine
			// its first scrape with traffic may come after the first
			// measurement, which is then "no data" (never a pass).
			InconclusiveLimit: &two,
			Metrics: []deployer.MetricConfig{{Name: "p95-latency", Max: &maxLatency,
				Query: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{version="{{.Release}}"}[2s])))`}},
		},
	}
}

// settle is how long after a switch nginx's old workers may still finish
// requests they accepted before the graceful reload (longer on a loaded
// machine); requests after it must all reach the new side.
const settle = 400 * time.Millisecond

func TestE2EBlueGreenZeroFailedRequests(t *testing.T) {
	t.Run("switch", func(t *testing.T) {
		r := newRig(t, []*backend{startBackend(t, demoapp.Options{Version: "v1"})}, []*backend{startBackend(t, demoapp.Options{Version: "v2"})})
		res, err := r.runner(t, blueGreen(r.prom.URL, 2*time.Second), nil).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil || res.Outcome != deployer.Promoted {
			t.Fatalf("%v %v\n%s", res.Outcome, err, r.out.String())
		}
		switched := r.event(t, "weight", 100)
		asked := r.eventBegan(t, "weight", 100)
		time.Sleep(time.Second)
		all := r.load.Stop()
		if all.Failed != 0 {
			t.Errorf("%d of %d requests failed around the switch: %v", all.Failed, all.Total, all.FirstErrors)
		}
		if s := r.load.Stats(switched.Add(settle), time.Time{}); s.ByVersion["v1"] != 0 || s.ByVersion["v2"] == 0 {
			t.Errorf("after the switch: %v; want all on v2", s.ByVersion)
		}
		// A response is stamped when it arrives: one that reached v2 must
		// have been sent after lockstep asked nginx to switch.
		if s := r.load.Stats(time.Time{}, asked); s.ByVersion["v2"] != 0 {
			t.Errorf("before the switch: %v; want all on v1", s.ByVersion)
		}
	})
	t.Run("rollback", func(t *testing.T) {
		// Green is slow, not failing: the post-promotion analysis switches
		// back on latency, and no client sees an error either way.
		r := newRig(t, []*backend{startBackend(t, demoapp.Options{Version: "v1"})}, []*backend{startBackend(t, demoapp.Options{Version: "v2", Delay: 40 * time.Millisecond})})
		res, err := r.runner(t, blueGreen(r.prom.URL, 5*time.Second), nil).Run(context.Background(), deployer.Request{Release: "v2"})
		if err != nil || res.Outcome != deployer.RolledBack || res.Verdict.Metric != "p95-latency" || res.Verdict.Phase != deployer.Failed {
			t.Fatalf("%v %v %+v\n%s", res.Outcome, err, res.Verdict, r.out.String())
		}
		back := r.event(t, "rollback", -1)
		time.Sleep(time.Second)
		all := r.load.Stop()
		if all.Failed != 0 {
			t.Errorf("%d of %d requests failed around the switch and the switch back: %v", all.Failed, all.Total, all.FirstErrors)
		}
		if all.ByVersion["v2"] == 0 {
			t.Error("green never served: the switch did not happen")
		}
		if s := r.load.Stats(back.Add(settle), time.Time{}); s.ByVersion["v2"] != 0 {
			t.Errorf("after switching back: %v; want all on v1", s.ByVersion)
		}
	})
}

func TestE2ERollingReplacesEveryBackend(t *testing.T) {
	var stable, cand []*backend
	for i := 0; i < 3; i++ {
		stable = append(stable, startBackend(t, demoapp.Options{Version: "v1"}))
		cand = append(cand, startBackend(t, demoapp.Options{Version: "v2"}))
	}
	r := newRig(t, stable, cand)
	one := 1
	maxRate := 0.01
	cfg := deployer.Config{Provider: "nginx", Strategy: deployer.Rolling, Stable: "v1",
		Rolling: deployer.RollingConfig{MaxUnavailable: "1", Pause: time.Second},
		Analysis: deployer.AnalysisConfig{Prometheus: r.prom.URL, Interval: time.Second, FailureLimit: &one,
			Metrics: []deployer.MetricConfig{{Name: "error-rate", Query: errorRate, Max: &maxRate}}}}
	res, err := r.runner(t, cfg, nil).Run(context.Background(), deployer.Request{Release: "v2"})
	if err != nil || res.Outcome != deployer.Promoted {
		t.Fatalf("%v %v\n%s", res.Outcome, err, r.out.String())
	}
	if got := len(res.Plan); got != 3 {
		t.Fatalf("plan %v; want 3 batches of one backend", res.Plan)
	}
	// Batch k: k candidate backends, 3-k stable ones, equal weights.
	for k, w := range []int{33, 66} {
		from := r.event(t, "weight", w).Add(50 * time.Millisecond)
		s := r.load.Stats(from, from.Add(800*time.Millisecond))
		got := s.ByVersion["v2"] * 100 / max(s.Total, 1)
		if want := (k + 1) * 100 / 3; got < want-12 || got > want+12 {
			t.Errorf("after batch %d the candidate answered %d%%; want about %d%%", k+1, got, want)
		}
	}
	done := r.event(t, "promote", 100)
	time.Sleep(300 * time.Millisecond)
	before := make([]int64, 3)
	for i, b := range stable {
		before[i] = b.served.Load()
	}
	time.Sleep(300 * time.Millisecond)
	for i := range stable {
		if stable[i].served.Load() != before[i] {
			t.Errorf("stable backend %d still serves after the last batch", i)
		}
		if cand[i].served.Load() == 0 {
			t.Errorf("candidate backend %d never served: not replaced", i)
		}
	}
	if s := r.load.Stats(done.Add(50*time.Millisecond), time.Time{}); s.ByVersion["v1"] != 0 {
		t.Errorf("after the rollout: %v", s.ByVersion)
	}
	if s := r.load.Stats(time.Time{}, time.Time{}); s.Failed != 0 {
		t.Errorf("%d failed requests: %v", s.Failed, s.FirstErrors)
	}
}
