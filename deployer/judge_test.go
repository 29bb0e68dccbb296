package deployer

import (
	"math"
	"testing"
	"time"
)

// Values computed by hand (see each case).
func TestMannWhitney(t *testing.T) {
	for _, c := range []struct {
		name  string
		x, y  []float64
		alt   Alternative
		u, p  float64
		exact bool
		shift float64
	}{
		// Every x above every y: U = 4*4 = 16, one arrangement of C(8,4) = 70.
		{"separated", []float64{5, 6, 7, 8}, []float64{1, 2, 3, 4}, Greater, 16, 1.0 / 70, true, 4},
		// U = 2 + 3 + 3 = 8; U >= 8 in 2 of C(6,3) = 20 arrangements (U=9 and U=8).
		{"one swap", []float64{3, 5, 6}, []float64{1, 2, 4}, Greater, 8, 0.1, true, 2},
		// Two-sided doubles the smaller tail: 2 * 2/20.
		{"one swap two-sided", []float64{3, 5, 6}, []float64{1, 2, 4}, TwoSided, 8, 0.2, true, 2},
		// Less: P(U <= 8) = 19/20.
		{"one swap less", []float64{3, 5, 6}, []float64{1, 2, 4}, Less, 8, 0.95, true, 2},
		// Ties: U = 0 + .5 + .5 + 1.5 = 2.5; mean 8; tie groups of 3, 2, 2 give
		// sum(t^3-t) = 24+6+6 = 36, var = 16/12 * (9 - 36/56) = 11.142857,
		// z = (2.5 - 8 + 0.5)/3.338092 = -1.497862, P(Z <= z) = 0.06708.
		{"ties", []float64{1, 2, 2, 3}, []float64{2, 3, 4, 4}, Less, 2.5, 0.06708, false, -1},
		// All equal: no evidence either way.
		{"constant", []float64{1, 1, 1}, []float64{1, 1, 1}, Greater, 4.5, 1, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := MannWhitney(c.x, c.y, c.alt)
			if r.U != c.u || r.Exact != c.exact || math.Abs(r.P-c.p) > 5e-5 || r.Shift != c.shift {
				t.Errorf("MannWhitney(%v, %v) = U %g p %.5f exact %v shift %g; want U %g p %.5f exact %v shift %g",
					c.x, c.y, r.U, r.P, r.Exact, r.Shift, c.u, c.p, c.exact, c.shift)
			}
		})
	}
}

func TestUDistribution(t *testing.T) {
	// m=2, n=2: arrangements of xxyy by U: 0:1 (xxyy) 1:1 2:2 3:1 4:1.
	got := uDistribution(2, 2)
	want := []float64{1, 1, 2, 1, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("uDistribution(2,2) = %v; want %v", got, want)
		}
	}
}

func TestMannWhitneyNormalMatchesExactRoughly(t *testing.T) {
	// 20 vs 20 with no ties uses the exact distribution; 25 vs 25 the
	// approximation. Both must call a clear shift significant.
	var x, y []float64
	for i := 0; i < 25; i++ {
		x = append(x, 1.5+float64(i)*0.01)
		y = append(y, 1.0+float64(i)*0.013)
	}
	r := MannWhitney(x, y, Greater)
	if r.Exact || r.P > 1e-6 {
		t.Errorf("25 vs 25 shifted: exact %v p %g; want approximation, p < 1e-6", r.Exact, r.P)
	}
	r = MannWhitney(x[:20], y[:20], Greater)
	if !r.Exact || r.P > 1e-6 {
		t.Errorf("20 vs 20 shifted: exact %v p %g", r.Exact, r.P)
	}
}

func TestNormalizeErrors(t *testing.T) {
	base := func() Config {
		return Config{Provider: "shell", Canary: CanaryConfig{Steps: []StepConfig{{Weight: 50}}},
			Analysis: AnalysisConfig{Prometheus: "http://127.0.0.1:9090", Metrics: []MetricConfig{{Name: "e", Query: "up", Max: ptr(1.0)}}}}
	}
	for _, c := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"descending steps", func(c *Config) { c.Canary.Steps = append(c.Canary.Steps, StepConfig{Weight: 20}) }, "deploy.canary.steps[1].weight: 20 is below the previous step's 50"},
		{"bad template", func(c *Config) { c.Analysis.Metrics[0].Query = "x{v=\"{{.Relase}}\"}" }, "deploy.analysis.metrics[0].query: "},
		{"no condition", func(c *Config) { c.Analysis.Metrics[0].Max = nil }, "deploy.analysis.metrics[0]: no success condition"},
		{"no prometheus", func(c *Config) { c.Analysis.Prometheus = "" }, "deploy.analysis.prometheus: metrics need a Prometheus URL"},
		{"min requests without query", func(c *Config) { c.Analysis.Metrics[0].MinRequests = 5 }, "deploy.analysis.metrics[0].min_requests: needs a requests query"},
		{"route both", func(c *Config) { c.Route = &RouteConfig{Header: "X", Cookie: "y", Value: "1"} }, "deploy.route: set exactly one of header and cookie"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := base()
			c.mod(&cfg)
			err := cfg.Normalize()
			if err == nil || len(err.Error()) < len(c.want) || err.Error()[:len(c.want)] != c.want {
				t.Errorf("Normalize() = %v; want %q...", err, c.want)
			}
		})
	}
	cfg := base()
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	if *cfg.Analysis.Metrics[0].ConsecutiveErrorLimit != 4 || *cfg.Analysis.InitialDelay != 30*time.Second {
		t.Errorf("defaults: consecutive_error_limit %d initial_delay %s; want 4 and 30s", *cfg.Analysis.Metrics[0].ConsecutiveErrorLimit, *cfg.Analysis.InitialDelay)
	}
}

func TestRollingPlan(t *testing.T) {
	for _, c := range []struct {
		maxUnavailable string
		instances      int
		want           []int
	}{
		{"1", 4, []int{25, 50, 75, 100}},
		{"50%", 3, []int{66, 100}},
		{"1", 3, []int{33, 66, 100}},
		{"25%", 0, []int{25, 50, 75, 100}},
	} {
		cfg := Config{Strategy: Rolling, Rolling: RollingConfig{MaxUnavailable: c.maxUnavailable}}
		if err := cfg.Normalize(); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, s := range cfg.Plan(c.instances) {
			got = append(got, s.Weight)
			if c.instances > 0 && InstancesFor(s.Weight, c.instances) != len(got)*Resolve(c.maxUnavailable, c.instances) && s.Weight != 100 {
				t.Errorf("InstancesFor(%d, %d) = %d", s.Weight, c.instances, InstancesFor(s.Weight, c.instances))
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("max_unavailable %s, %d instances: weights %v; want %v", c.maxUnavailable, c.instances, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("max_unavailable %s, %d instances: weights %v; want %v", c.maxUnavailable, c.instances, got, c.want)
				break
			}
		}
	}
}
