package deployer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Metrics answers PromQL instant queries. The Prometheus adapter
// (NewPrometheus) implements it; tests implement it with a function.
type Metrics interface {
	// Query evaluates query at time at and returns the values of the
	// resulting vector (or the scalar): empty when there is no data.
	Query(ctx context.Context, query string, at time.Time) ([]float64, error)
}

// MetricsFunc adapts a function to Metrics.
type MetricsFunc func(ctx context.Context, query string, at time.Time) ([]float64, error)

// Query calls f.
func (f MetricsFunc) Query(ctx context.Context, query string, at time.Time) ([]float64, error) {
	return f(ctx, query, at)
}

// Phase is the outcome of one measurement, as in Argo Rollouts.
type Phase string

const (
	Successful   Phase = "successful"
	Failed       Phase = "failed"
	Inconclusive Phase = "inconclusive"
	// Errored: the query could not be run (Prometheus down, bad PromQL).
	Errored Phase = "error"
)

// Measurement is one metric measured once.
type Measurement struct {
	Metric string `json:"metric"`
	Phase  Phase  `json:"phase"`
	// Value is the candidate's value, Baseline stable's, Requests the
	// request count; nil when not measured or no data.
	Value    *float64 `json:"value,omitempty"`
	Baseline *float64 `json:"baseline,omitempty"`
	Requests *float64 `json:"requests,omitempty"`
	// Reason says why, with the figures: "0.031 > max 0.01".
	Reason string    `json:"reason"`
	Step   int       `json:"step"`
	Weight int       `json:"weight"`
	At     time.Time `json:"at"`
	// Query is the candidate's query as sent.
	Query string `json:"query,omitempty"`
	// NoData marks an inconclusive measurement whose query returned
	// nothing (as opposed to too few requests, or no baseline).
	NoData bool `json:"no_data,omitempty"`
}

// Verdict is a metric whose limits were exceeded.
type Verdict struct {
	Metric string
	// Phase is Failed, Inconclusive or Errored.
	Phase Phase
	// Count measurements of that phase exceeded Limit.
	Count, Limit int
	Last         Measurement
}

func (v *Verdict) String() string {
	what := map[Phase]string{
		Failed:       "failed measurements > failure_limit",
		Inconclusive: "inconclusive measurements > inconclusive_limit",
		Errored:      "consecutive errors > consecutive_error_limit",
	}[v.Phase]
	return fmt.Sprintf("%s: %d %s %d; last: %s", v.Metric, v.Count, what, v.Limit, v.Last.Reason)
}

type metricState struct {
	cfg                                     *MetricConfig
	failed, inconclusive, consecutiveErrors int
	measured                                int
	cand, base                              []float64
	last                                    Measurement
}

// analysis measures every metric and keeps the counters of the limits
// across the whole rollout.
type analysis struct {
	cfg     *AnalysisConfig
	metrics Metrics
	states  []*metricState
}

func newAnalysis(cfg *AnalysisConfig, m Metrics) *analysis {
	a := &analysis{cfg: cfg, metrics: m}
	for i := range cfg.Metrics {
		a.states = append(a.states, &metricState{cfg: &cfg.Metrics[i]})
	}
	return a
}

func (a *analysis) empty() bool { return len(a.states) == 0 }

// measure measures every metric once, without counting the results.
func (a *analysis) measure(ctx context.Context, vars QueryVars, at time.Time) []Measurement {
	out := make([]Measurement, 0, len(a.states))
	for _, s := range a.states {
		out = append(out, a.measureOne(ctx, s, vars, at))
	}
	return out
}

// count adds measurements (one per metric, in order) to the limits'
// counters and the judge's samples.
func (a *analysis) count(ms []Measurement) {
	for i, m := range ms {
		s := a.states[i]
		if s.cfg.Judge != nil && m.Value != nil && m.Baseline != nil {
			s.cand = append(s.cand, *m.Value)
			s.base = append(s.base, *m.Baseline)
		}
		s.measured++
		switch m.Phase {
		case Failed:
			s.failed++
			s.consecutiveErrors = 0
		case Inconclusive:
			s.inconclusive++
			s.consecutiveErrors = 0
		case Errored:
			s.consecutiveErrors++
		default:
			s.consecutiveErrors = 0
		}
		s.last = m
	}
}

// noData reports whether any measurement found no data.
func noData(ms []Measurement) bool {
	for _, m := range ms {
		if m.NoData {
			return true
		}
	}
	return false
}

// exceeded returns the first metric whose limits are exceeded, or nil.
func (a *analysis) exceeded() *Verdict {
	for _, s := range a.states {
		c := s.cfg
		switch {
		case *c.FailureLimit >= 0 && s.failed > *c.FailureLimit:
			return &Verdict{Metric: c.Name, Phase: Failed, Count: s.failed, Limit: *c.FailureLimit, Last: s.last}
		case *c.InconclusiveLimit >= 0 && s.inconclusive > *c.InconclusiveLimit:
			return &Verdict{Metric: c.Name, Phase: Inconclusive, Count: s.inconclusive, Limit: *c.InconclusiveLimit, Last: s.last}
		case *c.ConsecutiveErrorLimit >= 0 && s.consecutiveErrors > *c.ConsecutiveErrorLimit:
			return &Verdict{Metric: c.Name, Phase: Errored, Count: s.consecutiveErrors, Limit: *c.ConsecutiveErrorLimit, Last: s.last}
		}
	}
	return nil
}

// passing reports whether every metric's last measurement succeeded: the
// condition for leaving a step. Metrics never measured pass.
func (a *analysis) passing() bool {
	for _, s := range a.states {
		if s.measured > 0 && s.last.Phase != Successful {
			return false
		}
	}
	return true
}

// counts is the limit usage of each metric, for the ledger.
func (a *analysis) counts() map[string]any {
	out := map[string]any{}
	for _, s := range a.states {
		out[s.cfg.Name] = map[string]int{"measured": s.measured, "failed": s.failed, "inconclusive": s.inconclusive, "consecutive_errors": s.consecutiveErrors}
	}
	return out
}

func (a *analysis) query(ctx context.Context, q string, at time.Time) (float64, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	vals, err := a.metrics.Query(ctx, q, at)
	if err != nil {
		return 0, false, err
	}
	switch len(vals) {
	case 0:
		return 0, false, nil
	case 1:
		if math.IsNaN(vals[0]) {
			return 0, false, nil
		}
		return vals[0], true, nil
	}
	return 0, false, fmt.Errorf("query returned %d series, want one (aggregate it, e.g. with sum())", len(vals))
}

func (a *analysis) measureOne(ctx context.Context, s *metricState, vars QueryVars, at time.Time) Measurement {
	c := s.cfg
	m := Measurement{Metric: c.Name, Step: vars.Step, Weight: vars.Weight, At: at}
	fail := func(phase Phase, format string, args ...any) Measurement {
		m.Phase = phase
		m.Reason = fmt.Sprintf(format, args...)
		return m
	}
	if c.MinRequests > 0 {
		q, err := render(c.requests, vars)
		if err != nil {
			return fail(Errored, "requests query: %v", err)
		}
		n, ok, err := a.query(ctx, q, at)
		if err != nil {
			return fail(Errored, "requests query: %v", queryErr(err))
		}
		if !ok {
			n = 0
		}
		m.Requests = &n
		if n < c.MinRequests {
			return fail(Inconclusive, "%s requests < min_requests %s", fmtNum(n), fmtNum(c.MinRequests))
		}
	}
	q, err := render(c.query, vars)
	if err != nil {
		return fail(Errored, "query: %v", err)
	}
	m.Query = q
	v, ok, err := a.query(ctx, q, at)
	if err != nil {
		return fail(Errored, "query: %v", queryErr(err))
	}
	if !ok {
		m.NoData = true
		return fail(Inconclusive, "no data for %s", vars.Release)
	}
	m.Value = &v
	var base float64
	needBase := c.MaxIncrease != nil || c.MaxRatio != nil || c.Judge != nil
	if needBase {
		if vars.Stable == "" {
			return fail(Inconclusive, "%s; no stable release to compare with", fmtNum(v))
		}
		bv := vars
		bv.Release = vars.Stable
		t := c.baseline
		if t == nil {
			t = c.query
		}
		bq, err := render(t, bv)
		if err != nil {
			return fail(Errored, "baseline query: %v", err)
		}
		b, ok, err := a.query(ctx, bq, at)
		if err != nil {
			return fail(Errored, "baseline query: %v", queryErr(err))
		}
		if !ok {
			m.NoData = true
			return fail(Inconclusive, "%s; no baseline data for %s", fmtNum(v), vars.Stable)
		}
		base = b
		m.Baseline = &base
	}
	var failures, passes []string
	check := func(bad bool, failMsg, passMsg string) {
		if bad {
			failures = append(failures, failMsg)
		} else {
			passes = append(passes, passMsg)
		}
	}
	if c.Min != nil {
		check(v < *c.Min, fmt.Sprintf("%s < min %s", fmtNum(v), fmtNum(*c.Min)), fmt.Sprintf("%s >= min %s", fmtNum(v), fmtNum(*c.Min)))
	}
	if c.Max != nil {
		check(v > *c.Max, fmt.Sprintf("%s > max %s", fmtNum(v), fmtNum(*c.Max)), fmt.Sprintf("%s <= max %s", fmtNum(v), fmtNum(*c.Max)))
	}
	if c.MaxIncrease != nil {
		d := v - base
		check(d > *c.MaxIncrease,
			fmt.Sprintf("%s - baseline %s = %s > max_increase %s", fmtNum(v), fmtNum(base), fmtNum(d), fmtNum(*c.MaxIncrease)),
			fmt.Sprintf("%s - baseline %s = %s <= max_increase %s", fmtNum(v), fmtNum(base), fmtNum(d), fmtNum(*c.MaxIncrease)))
	}
	if c.MaxRatio != nil {
		switch {
		case base == 0 && v == 0:
			passes = append(passes, "0 and baseline 0")
		case base == 0:
			return fail(Inconclusive, "%s against a baseline of 0: no ratio", fmtNum(v))
		default:
			r := v / base
			check(r > *c.MaxRatio,
				fmt.Sprintf("%s / baseline %s = %s > max_ratio %s", fmtNum(v), fmtNum(base), fmtNum(r), fmtNum(*c.MaxRatio)),
				fmt.Sprintf("%s / baseline %s = %s <= max_ratio %s", fmtNum(v), fmtNum(base), fmtNum(r), fmtNum(*c.MaxRatio)))
		}
	}
	if j := c.Judge; j != nil {
		cand, bs := append(s.cand[:len(s.cand):len(s.cand)], v), append(s.base[:len(s.base):len(s.base)], base)
		if len(cand) >= j.MinSamples {
			bad, msg := judge(j, cand, bs)
			check(bad, msg, msg)
		} else if c.Min == nil && c.Max == nil && c.MaxIncrease == nil && c.MaxRatio == nil {
			passes = append(passes, fmt.Sprintf("%s vs baseline %s; judge waits for %d samples (%d so far)", fmtNum(v), fmtNum(base), j.MinSamples, len(cand)))
		}
	}
	if len(failures) > 0 {
		return fail(Failed, "%s", strings.Join(failures, "; "))
	}
	return fail(Successful, "%s", strings.Join(passes, "; "))
}

// judge runs the Mann-Whitney test of the candidate's samples against the
// baseline's and says whether the candidate is worse beyond the tolerance.
func judge(j *JudgeConfig, cand, base []float64) (bad bool, reason string) {
	alt := map[string]Alternative{"increase": Greater, "decrease": Less, "either": TwoSided}[j.Direction]
	r := MannWhitney(cand, base, alt)
	alpha := 1 - j.Confidence
	bm := median(base)
	rel := math.Inf(1)
	if bm != 0 {
		rel = math.Abs(r.Shift / bm)
	} else if r.Shift == 0 {
		rel = 0
	}
	bad = r.P < alpha && rel > *j.Tolerance
	verb := "no significant change"
	if r.P < alpha {
		verb = "significant change"
	}
	return bad, fmt.Sprintf("Mann-Whitney U=%s p=%.4f (alpha %.2f, n=%d/%d): %s, shift %s (%s of baseline median %s, tolerance %s)",
		fmtNum(r.U), r.P, alpha, len(cand), len(base), verb, fmtNum(r.Shift), fmtPct(rel), fmtNum(bm), fmtPct(*j.Tolerance))
}

func queryErr(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}

func fmtNum(v float64) string {
	switch {
	case math.IsInf(v, 0) || math.IsNaN(v):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func fmtPct(v float64) string {
	if math.IsInf(v, 0) {
		return "∞"
	}
	return strconv.FormatFloat(v*100, 'f', 0, 64) + "%"
}
