package deployer

import (
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"strings"
	"text/template"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// ConfigSchema is the JSON Schema of the deploy section of lockstep.yaml,
// provider subsections included.
//
//go:embed schema.json
var ConfigSchema []byte

// Config is the deploy section of lockstep.yaml, less the provider
// subsections (shell, nginx, kubernetes), which their packages type.
type Config struct {
	// Provider names the provider: shell, nginx or kubernetes.
	Provider string `yaml:"provider"`
	// Strategy is canary (the default), blue-green or rolling.
	Strategy Strategy `yaml:"strategy"`
	// Environment is the default of --env (default production).
	Environment string `yaml:"environment"`
	// Stable is the default of --stable; empty means: the release the
	// ledger last recorded deployed.
	Stable string `yaml:"stable"`

	Canary    CanaryConfig    `yaml:"canary"`
	BlueGreen BlueGreenConfig `yaml:"blue_green"`
	Rolling   RollingConfig   `yaml:"rolling"`
	// Shadow, when set, mirrors traffic to the candidate before any real
	// traffic reaches it (providers implementing Mirrorer).
	Shadow *ShadowConfig `yaml:"shadow"`
	// Route, when set, sends requests matching a header or cookie to the
	// candidate before the weighted steps (providers implementing Router).
	Route *RouteConfig `yaml:"route"`

	Analysis AnalysisConfig `yaml:"analysis"`
	Health   HealthConfig   `yaml:"health"`
	Rollback RollbackConfig `yaml:"rollback"`
}

// CanaryConfig lists the canary's steps.
type CanaryConfig struct {
	Steps []StepConfig `yaml:"steps"`
}

// StepConfig is one canary step: a weight, then a pause during which the
// analysis runs.
type StepConfig struct {
	Weight int           `yaml:"weight"`
	Pause  time.Duration `yaml:"pause"`
}

// BlueGreenConfig configures the blue-green switch.
type BlueGreenConfig struct {
	// PrePromotion analyses green before the switch, for setups that send
	// it test traffic (a preview route, smoke tests); default off.
	PrePromotion bool `yaml:"pre_promotion"`
	// PrePromotionPause is how long the pre-promotion analysis runs
	// (default one analysis interval).
	PrePromotionPause time.Duration `yaml:"pre_promotion_pause"`
	// ScaleDownDelay is how long blue stays up after the switch, while the
	// post-promotion analysis runs; a failure in it switches back (default
	// 30s).
	ScaleDownDelay *time.Duration `yaml:"scale_down_delay"`
}

// RollingConfig configures batches of a rolling update.
type RollingConfig struct {
	// MaxUnavailable is how many instances may be replaced at once, a count
	// or a percentage ("25%", the default); it sets the batch size.
	MaxUnavailable string `yaml:"max_unavailable"`
	// MaxSurge is how many extra instances may run during a batch (a count
	// or a percentage, default "25%"); providers that scale use it.
	MaxSurge string `yaml:"max_surge"`
	// Batches overrides the number of batches (default from
	// max_unavailable).
	Batches int `yaml:"batches"`
	// Pause is how long the analysis runs after each batch (default one
	// interval).
	Pause time.Duration `yaml:"pause"`
}

// ShadowConfig configures the mirroring phase.
type ShadowConfig struct {
	// Weight is the percentage of requests copied (default 100).
	Weight int `yaml:"weight"`
	// Duration is how long the candidate is analysed on mirrored traffic.
	Duration time.Duration `yaml:"duration"`
}

// RouteConfig configures the header/cookie phase.
type RouteConfig struct {
	Header   string        `yaml:"header"`
	Cookie   string        `yaml:"cookie"`
	Value    string        `yaml:"value"`
	Duration time.Duration `yaml:"duration"`
}

// HealthConfig bounds the wait for the candidate to become healthy.
type HealthConfig struct {
	// Timeout is how long Deploy and each step wait for Health (default 2m).
	Timeout time.Duration `yaml:"timeout"`
	// Interval is the polling period (default 1s).
	Interval time.Duration `yaml:"interval"`
}

// RollbackConfig says what a rollback does.
type RollbackConfig struct {
	// Automatic rolls back by itself on failed analysis (default true);
	// false pauses the rollout at its weight and pages instead.
	Automatic *bool `yaml:"automatic"`
	// ScaleDown removes the candidate's instances after a rollback
	// (default true); false leaves them for debugging.
	ScaleDown *bool `yaml:"scale_down"`
	// Timeout bounds the rollback, which runs even after a cancellation
	// (default 5s: CI runners kill a job a few seconds after SIGTERM).
	Timeout time.Duration `yaml:"timeout"`
	// Page is a command run through sh -c when lockstep refuses or is told
	// not to roll back, with LOCKSTEP_RELEASE, LOCKSTEP_STABLE and
	// LOCKSTEP_REASON in its environment.
	Page string `yaml:"page"`
}

// AnalysisConfig configures the metric analysis.
type AnalysisConfig struct {
	// Prometheus is the server's base URL.
	Prometheus string `yaml:"prometheus"`
	// Interval is the time between measurements (default 1m).
	Interval time.Duration `yaml:"interval"`
	// InitialDelay is the wait after a step's weight is set before its first
	// measurement (default half an interval, so the new weight's data has
	// been scraped).
	InitialDelay *time.Duration `yaml:"initial_delay"`
	// Timeout bounds one query (default 10s or the interval if shorter).
	Timeout time.Duration `yaml:"timeout"`
	// FailureLimit, InconclusiveLimit and ConsecutiveErrorLimit are the
	// defaults of the metrics' own limits, with Argo Rollouts' meaning: a
	// metric fails when its failed measurements exceed failure_limit (-1:
	// never), its inconclusive ones exceed inconclusive_limit, or its
	// consecutive errors exceed consecutive_error_limit (default 4).
	FailureLimit          *int `yaml:"failure_limit"`
	InconclusiveLimit     *int `yaml:"inconclusive_limit"`
	ConsecutiveErrorLimit *int `yaml:"consecutive_error_limit"`
	// Requests is the default request-count query of the metrics'
	// min_requests.
	Requests string `yaml:"requests"`
	// Metrics are measured at every interval.
	Metrics []MetricConfig `yaml:"metrics"`
}

// MetricConfig is one metric and its success condition.
type MetricConfig struct {
	Name string `yaml:"name"`
	// Query is PromQL returning one value; a template over QueryVars.
	Query string `yaml:"query"`
	// BaselineQuery measures stable for a comparison; default: Query
	// rendered with .Release set to the stable release.
	BaselineQuery string `yaml:"baseline_query"`
	// Min and Max are thresholds on the candidate's value.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// MaxIncrease fails when candidate - baseline exceeds it (error rates).
	MaxIncrease *float64 `yaml:"max_increase"`
	// MaxRatio fails when candidate / baseline exceeds it (latency).
	MaxRatio *float64 `yaml:"max_ratio"`
	// MinRequests: below this many requests (the Requests query) a
	// measurement is inconclusive.
	MinRequests float64 `yaml:"min_requests"`
	Requests    string  `yaml:"requests"`
	// Judge adds a statistical comparison with the baseline.
	Judge *JudgeConfig `yaml:"judge"`

	FailureLimit          *int `yaml:"failure_limit"`
	InconclusiveLimit     *int `yaml:"inconclusive_limit"`
	ConsecutiveErrorLimit *int `yaml:"consecutive_error_limit"`

	query, baseline, requests *template.Template
}

// JudgeConfig configures the Mann-Whitney judge of one metric.
type JudgeConfig struct {
	// Confidence of the one-sided test (default 0.95).
	Confidence float64 `yaml:"confidence"`
	// MinSamples before the judge decides (default 6 of each).
	MinSamples int `yaml:"min_samples"`
	// Tolerance is the relative shift (Hodges-Lehmann, against the
	// baseline's median) that must be exceeded to fail (default 0.25).
	Tolerance *float64 `yaml:"tolerance"`
	// Direction is which change is bad: increase (default), decrease or
	// either.
	Direction string `yaml:"direction"`
}

// QueryVars are the variables of a metric's query template.
type QueryVars struct {
	// Release is the release measured: the candidate, or stable when the
	// baseline is measured.
	Release string
	// Candidate is always the candidate; Stable always stable.
	Candidate   string
	Stable      string
	Environment string
	Step        int
	Weight      int
	// Interval is the analysis interval as a PromQL duration (e.g. 1m).
	Interval string
}

// Defaults.
const (
	DefaultEnvironment           = "production"
	DefaultInterval              = time.Minute
	DefaultConsecutiveErrorLimit = 4
	DefaultScaleDownDelay        = 30 * time.Second
	DefaultHealthTimeout         = 2 * time.Minute
	DefaultRollbackTimeout       = 5 * time.Second
)

func usagef(format string, a ...any) error {
	return fault.Errorf(fault.Usage, "deploy."+format, a...)
}

// Normalize fills defaults and checks values. Errors are fault.Usage naming
// the setting (deploy.analysis.metrics[0].query: ...).
func (c *Config) Normalize() error {
	if c.Strategy == "" {
		c.Strategy = Canary
	}
	if c.Environment == "" {
		c.Environment = DefaultEnvironment
	}
	switch c.Strategy {
	case Canary:
		if len(c.Canary.Steps) == 0 {
			return usagef("canary.steps: a canary needs at least one step")
		}
		last := 0
		for i, s := range c.Canary.Steps {
			if s.Weight < 0 || s.Weight > 100 {
				return usagef("canary.steps[%d].weight: %d is not a percentage (0 to 100)", i, s.Weight)
			}
			if s.Weight < last {
				return usagef("canary.steps[%d].weight: %d is below the previous step's %d", i, s.Weight, last)
			}
			if s.Pause < 0 {
				return usagef("canary.steps[%d].pause: negative", i)
			}
			last = s.Weight
		}
	case BlueGreen, Rolling:
	default:
		return usagef("strategy: %q is not one of canary, blue-green, rolling", c.Strategy)
	}
	a := &c.Analysis
	if a.Interval == 0 {
		a.Interval = DefaultInterval
	}
	if a.Interval < 0 {
		return usagef("analysis.interval: negative")
	}
	if a.InitialDelay == nil {
		d := a.Interval / 2
		a.InitialDelay = &d
	}
	if a.Timeout == 0 {
		a.Timeout = min(10*time.Second, max(a.Interval, time.Second))
	}
	if len(a.Metrics) > 0 && a.Prometheus == "" {
		return usagef("analysis.prometheus: metrics need a Prometheus URL")
	}
	if a.FailureLimit == nil {
		a.FailureLimit = ptr(0)
	}
	if a.InconclusiveLimit == nil {
		a.InconclusiveLimit = ptr(0)
	}
	if a.ConsecutiveErrorLimit == nil {
		a.ConsecutiveErrorLimit = ptr(DefaultConsecutiveErrorLimit)
	}
	seen := map[string]bool{}
	for i := range a.Metrics {
		m := &a.Metrics[i]
		at := fmt.Sprintf("analysis.metrics[%d]", i)
		if m.Name == "" {
			return usagef("%s.name: missing", at)
		}
		if seen[m.Name] {
			return usagef("%s.name: %q appears twice", at, m.Name)
		}
		seen[m.Name] = true
		var err error
		if m.query, err = parseQuery(at+".query", m.Query); err != nil {
			return err
		}
		if m.query == nil {
			return usagef("%s.query: missing", at)
		}
		if m.baseline, err = parseQuery(at+".baseline_query", m.BaselineQuery); err != nil {
			return err
		}
		if m.Requests == "" {
			m.Requests = a.Requests
		}
		if m.MinRequests > 0 && m.Requests == "" {
			return usagef("%s.min_requests: needs a requests query (%s.requests or analysis.requests)", at, at)
		}
		if m.requests, err = parseQuery(at+".requests", m.Requests); err != nil {
			return err
		}
		if m.Min == nil && m.Max == nil && m.MaxIncrease == nil && m.MaxRatio == nil && m.Judge == nil {
			return usagef("%s: no success condition (min, max, max_increase, max_ratio or judge)", at)
		}
		if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
			return usagef("%s: min %g is above max %g", at, *m.Min, *m.Max)
		}
		if m.MaxRatio != nil && *m.MaxRatio <= 0 {
			return usagef("%s.max_ratio: must be positive", at)
		}
		if j := m.Judge; j != nil {
			if j.Confidence == 0 {
				j.Confidence = 0.95
			}
			if j.Confidence <= 0.5 || j.Confidence >= 1 {
				return usagef("%s.judge.confidence: %g is not between 0.5 and 1", at, j.Confidence)
			}
			if j.MinSamples == 0 {
				j.MinSamples = 6
			}
			if j.MinSamples < 3 {
				return usagef("%s.judge.min_samples: at least 3", at)
			}
			if j.Tolerance == nil {
				j.Tolerance = ptr(0.25)
			}
			switch j.Direction {
			case "":
				j.Direction = "increase"
			case "increase", "decrease", "either":
			default:
				return usagef("%s.judge.direction: %q is not increase, decrease or either", at, j.Direction)
			}
		}
		if m.FailureLimit == nil {
			m.FailureLimit = a.FailureLimit
		}
		if m.InconclusiveLimit == nil {
			m.InconclusiveLimit = a.InconclusiveLimit
		}
		if m.ConsecutiveErrorLimit == nil {
			m.ConsecutiveErrorLimit = a.ConsecutiveErrorLimit
		}
	}
	bg := &c.BlueGreen
	if bg.ScaleDownDelay == nil {
		bg.ScaleDownDelay = ptr(DefaultScaleDownDelay)
	}
	if bg.PrePromotionPause == 0 {
		bg.PrePromotionPause = a.Interval
	}
	r := &c.Rolling
	if r.MaxUnavailable == "" {
		r.MaxUnavailable = "25%"
	}
	if r.MaxSurge == "" {
		r.MaxSurge = "25%"
	}
	if _, _, err := ParseCountOrPercent(r.MaxUnavailable); err != nil {
		return usagef("rolling.max_unavailable: %v", err)
	}
	if _, _, err := ParseCountOrPercent(r.MaxSurge); err != nil {
		return usagef("rolling.max_surge: %v", err)
	}
	if r.Batches < 0 {
		return usagef("rolling.batches: negative")
	}
	if r.Pause == 0 {
		r.Pause = a.Interval
	}
	if s := c.Shadow; s != nil {
		if s.Weight == 0 {
			s.Weight = 100
		}
		if s.Weight < 0 || s.Weight > 100 {
			return usagef("shadow.weight: %d is not a percentage", s.Weight)
		}
		if s.Duration == 0 {
			s.Duration = a.Interval
		}
	}
	if rt := c.Route; rt != nil {
		if (rt.Header == "") == (rt.Cookie == "") {
			return usagef("route: set exactly one of header and cookie")
		}
		if rt.Value == "" {
			return usagef("route.value: missing")
		}
		if rt.Duration == 0 {
			rt.Duration = a.Interval
		}
	}
	h := &c.Health
	if h.Timeout == 0 {
		h.Timeout = DefaultHealthTimeout
	}
	if h.Interval == 0 {
		h.Interval = time.Second
	}
	rb := &c.Rollback
	if rb.Automatic == nil {
		rb.Automatic = ptr(true)
	}
	if rb.ScaleDown == nil {
		rb.ScaleDown = ptr(true)
	}
	if rb.Timeout == 0 {
		rb.Timeout = DefaultRollbackTimeout
	}
	return nil
}

// ParseCountOrPercent reads "3" or "25%".
func ParseCountOrPercent(s string) (n int, percent bool, err error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	percent = t != strings.TrimSpace(s)
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || fmt.Sprint(n) != t {
		return 0, false, fmt.Errorf("%q is not a count or a percentage", s)
	}
	if n < 0 || (percent && n > 100) {
		return 0, false, fmt.Errorf("%q is out of range", s)
	}
	return n, percent, nil
}

// Resolve turns a count or percentage of total into a count, rounding a
// percentage up, at least 1 when total > 0 and s is not zero.
func Resolve(s string, total int) int {
	n, pct, err := ParseCountOrPercent(s)
	if err != nil || n == 0 {
		return 0
	}
	if !pct {
		return n
	}
	return int(math.Ceil(float64(n) * float64(total) / 100))
}

func parseQuery(setting, q string) (*template.Template, error) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	t, err := template.New(setting).Option("missingkey=error").Parse(q)
	if err != nil {
		return nil, usagef("%s: %v", setting, err)
	}
	// Render once with sample values so unknown fields fail now.
	if _, err := render(t, QueryVars{Release: "r", Candidate: "r", Stable: "s", Step: 1, Weight: 1, Interval: "1m"}); err != nil {
		return nil, usagef("%s: %v", setting, err)
	}
	return t, nil
}

func render(t *template.Template, v QueryVars) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// PromDuration renders d as a PromQL duration (1m, 30s, 1500ms).
func PromDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

func ptr[T any](v T) *T { return &v }
