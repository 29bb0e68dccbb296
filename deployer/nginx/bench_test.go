package nginx_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/internal/demoapp"
)

// TestRollbackBench is bench/rollback.sh's helper (skipped unless
// LOCKSTEP_BENCH=1): it rolls out failing candidates through nginx and
// Prometheus and measures the time from the candidate's first failed
// response (as the load generator saw it) to traffic back on stable (the
// rollback's reload in effect), against the configured bound
// (failure_limit+1) × interval.
func TestRollbackBench(t *testing.T) {
	if os.Getenv("LOCKSTEP_BENCH") != "1" {
		t.Skip("set LOCKSTEP_BENCH=1 (bench/rollback.sh)")
	}
	runs := envInt("LOCKSTEP_BENCH_RUNS", 5)
	limit := envInt("LOCKSTEP_BENCH_FAILURE_LIMIT", 1)
	interval := time.Duration(envInt("LOCKSTEP_BENCH_INTERVAL_MS", 1000)) * time.Millisecond
	fail := 0.5
	if s := os.Getenv("LOCKSTEP_BENCH_FAIL_RATE"); s != "" {
		fail, _ = strconv.ParseFloat(s, 64)
	}
	stable := []*backend{startBackend(t, demoapp.Options{Version: "stable"})}
	// One candidate backend per run, each its own version, so no run sees
	// another's errors in the rate window.
	var cands []*backend
	for i := 0; i < runs; i++ {
		cands = append(cands, startBackend(t, demoapp.Options{Version: fmt.Sprintf("cand%d", i), FailRate: fail}))
	}
	r := newRig(t, stable, cands)
	bound := time.Duration(limit+1) * interval
	fmt.Printf("BENCH rollback: failure_limit %d, interval %s, bound %s, candidate fails %.0f%% of requests, load 150 req/s through nginx\n", limit, interval, bound, fail*100)
	fmt.Printf("BENCH %-4s %12s %12s %12s %8s\n", "run", "detected", "reload", "to-stable", "ratio")
	var ratios []float64
	for i, c := range cands {
		p, err := newProvider(r.site, stable, c)
		if err != nil {
			t.Fatal(err)
		}
		f := limit
		cfg := deployer.Config{Provider: "nginx", Strategy: deployer.Canary, Stable: "stable",
			Canary: deployer.CanaryConfig{Steps: []deployer.StepConfig{{Weight: 20, Pause: 10 * interval}, {Weight: 100}}},
			Analysis: deployer.AnalysisConfig{Prometheus: r.prom.URL, Interval: interval, FailureLimit: &f,
				Metrics: []deployer.MetricConfig{{Name: "error-rate", Query: errorRate, Max: ptrF(0.01)}}}}
		r.events = nil
		run := r.runner(t, cfg, nil)
		run.Provider = p
		res, err := run.Run(context.Background(), deployer.Request{Release: c.App.Version()})
		if err != nil || res.Outcome != deployer.RolledBack {
			t.Fatalf("run %d: %v %v\n%s", i, res.Outcome, err, r.out.String())
		}
		back := r.event(t, "rollback", -1)
		var firstFail time.Time
		for _, resp := range r.load.Responses(time.Time{}, time.Time{}) {
			if resp.Version == c.App.Version() && !resp.OK() {
				firstFail = resp.At
				break
			}
		}
		took := back.Sub(firstFail)
		ratio := float64(took) / float64(bound)
		ratios = append(ratios, ratio)
		fmt.Printf("BENCH %-4d %12s %12s %12s %8.2f\n", i+1, (took - res.RollbackTook).Round(time.Millisecond), res.RollbackTook.Round(time.Millisecond), took.Round(time.Millisecond), ratio)
		time.Sleep(200 * time.Millisecond)
	}
	sort.Float64s(ratios)
	fmt.Printf("BENCH median ratio %.2f, worst %.2f (time from the candidate's first failed response to traffic back on stable ÷ (failure_limit+1) × interval; ≤ 1 is within the bound)\n", ratios[len(ratios)/2], ratios[len(ratios)-1])
}

func ptrF(v float64) *float64 { return &v }

func envInt(k string, d int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return d
}
