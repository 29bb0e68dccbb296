package gates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Metrics is what the error-budget check needs of Prometheus: one instant
// query evaluated at a pinned time. NewPrometheus adapts the Prometheus
// HTTP API client; tests may answer from a table.
type Metrics interface {
	// Query evaluates PromQL at the instant at. A query Prometheus rejects
	// or cannot run is an error; an empty result is not.
	Query(ctx context.Context, query string, at time.Time) (model.Value, error)
}

// NewPrometheus returns Metrics over the Prometheus HTTP API at address,
// sending requests through c (nil: a client of its own).
func NewPrometheus(address string, c *http.Client, log *slog.Logger) (Metrics, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl, err := api.NewClient(api.Config{Address: address, Client: c})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", address, err)
	}
	return promAPI{v1.NewAPI(cl), log}, nil
}

// promAPI adapts v1.API, whose Query grows results across versions.
type promAPI struct {
	api v1.API
	log *slog.Logger
}

func (p promAPI) Query(ctx context.Context, query string, at time.Time) (model.Value, error) {
	v, warnings, _, err := p.api.Query(ctx, query, at)
	for _, w := range warnings {
		p.log.Warn("prometheus warning", "query", query, "warning", w)
	}
	return v, err
}

// BudgetReport holds the error-budget figures, each as computed.
type BudgetReport struct {
	// Objective is the SLO in percent; Budget the allowed error ratio
	// (1 - objective).
	Objective float64 `json:"objective_percent"`
	Window    string  `json:"window"`
	Budget    float64 `json:"budget_ratio"`
	// ErrorRatio is the share of bad events over the window; Remaining the
	// budget left, in percent (negative when overspent). Nil: no data.
	ErrorRatio   *float64         `json:"error_ratio"`
	Remaining    *float64         `json:"remaining_percent"`
	MinRemaining float64          `json:"min_remaining_percent"`
	BurnRates    []BurnRateReport `json:"burn_rates"`
	// Queries are the PromQL run, evaluated at At.
	Queries []Query   `json:"queries"`
	At      time.Time `json:"evaluated_at"`
	// NoData lists the windows without data.
	NoData []string `json:"no_data,omitempty"`
	// Error is why Prometheus could not answer.
	Error string `json:"error,omitempty"`
}

// BurnRateReport is one multiwindow limit and the measured burn rates
// (the error ratio over the window divided by the budget).
type BurnRateReport struct {
	Long      string   `json:"long"`
	Short     string   `json:"short"`
	Max       float64  `json:"max"`
	LongRate  *float64 `json:"long_rate"`
	ShortRate *float64 `json:"short_rate"`
	// Breached: both windows burn faster than Max. This limit closed the gate.
	Breached bool `json:"breached"`
	// Unknown: data is missing and the rest does not settle it.
	Unknown bool `json:"unknown,omitempty"`
}

// Query is one PromQL query and its value (nil: no data, or no answer
// when Error is set).
type Query struct {
	PromQL string   `json:"promql"`
	Value  *float64 `json:"value"`
	// Error is why this query got no answer.
	Error string `json:"error,omitempty"`
}

// ratioResult is the error ratio over one window.
type ratioResult struct {
	ratio     float64
	ok        bool // there is data
	noTraffic bool // the total was zero
	queries   []Query
}

func render(t *template.Template, window string) string {
	var b strings.Builder
	_ = t.Execute(&b, windowData{window}) // checked when the policy loaded
	return b.String()
}

// scalar reads a query result that must be one number: no series is no
// data, several are a mistake in the query.
func scalar(v model.Value, q string) (float64, bool, error) {
	switch x := v.(type) {
	case *model.Scalar:
		f := float64(x.Value)
		return f, !math.IsNaN(f), nil
	case model.Vector:
		switch len(x) {
		case 0:
			return 0, false, nil
		case 1:
			f := float64(x[0].Value)
			return f, !math.IsNaN(f) && !math.IsInf(f, 0), nil
		}
		return 0, false, fmt.Errorf("query %s returned %d series; aggregate it to one, e.g. sum(...)", q, len(x))
	case nil:
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("query %s returned a %s; want an instant vector or scalar", q, v.Type())
}

func (b *Budget) ratioOver(ctx context.Context, m Metrics, window string, period bool, at time.Time) (ratioResult, error) {
	run := func(q string) (float64, bool, Query, error) {
		qctx, cancel := context.WithTimeout(ctx, b.Timeout)
		defer cancel()
		v, err := m.Query(qctx, q, at)
		if err != nil {
			return 0, false, Query{PromQL: q, Error: queryError(ctx, err)}, &queryErr{q, err}
		}
		f, ok, err := scalar(v, q)
		rec := Query{PromQL: q}
		if ok {
			rec.Value = &f
		}
		if err != nil {
			rec.Error = err.Error()
		}
		return f, ok, rec, err
	}
	var r ratioResult
	switch {
	case b.ratio != nil:
		q := render(b.ratio, window)
		if period && b.period != nil {
			q = render(b.period, window)
		}
		f, ok, rec, err := run(q)
		r.queries = append(r.queries, rec)
		if err != nil {
			return r, err
		}
		r.ratio, r.ok = f, ok
	default:
		bad, okBad, recBad, err := run(render(b.bad, window))
		r.queries = append(r.queries, recBad)
		if err != nil {
			return r, err
		}
		total, okTotal, recTotal, err := run(render(b.total, window))
		r.queries = append(r.queries, recTotal)
		if err != nil {
			return r, err
		}
		switch {
		case !okTotal:
		case total == 0:
			r.noTraffic = true
		case !okBad:
			// No bad series at all, with traffic: no errors (a counter of
			// 5xx that never fired has no series).
			r.ratio, r.ok = 0, true
		default:
			r.ratio, r.ok = bad/total, true
		}
	}
	return r, nil
}

// evaluate runs the queries and computes the figures. The returned error
// is Prometheus failing; the report then carries the message.
func (b *Budget) evaluate(ctx context.Context, m Metrics, at time.Time) (*BudgetReport, error) {
	rep := &BudgetReport{
		Objective: b.Objective, Window: b.Window, Budget: 1 - b.Objective/100,
		MinRemaining: b.MinRemaining.Value, At: at, Queries: []Query{}, BurnRates: []BurnRateReport{},
	}
	windows := []string{b.Window}
	for _, br := range b.BurnRates {
		windows = append(windows, br.Long, br.Short)
	}
	type res struct {
		r   ratioResult
		err error
	}
	results := map[string]*res{}
	var order []string
	for _, w := range windows {
		if _, ok := results[w]; !ok {
			results[w] = &res{}
			order = append(order, w)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, w := range order {
		wg.Add(1)
		go func(w string, period bool) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := b.ratioOver(ctx, m, w, period, at)
			results[w].r, results[w].err = r, err
			if err != nil {
				cancel()
			}
		}(w, i == 0)
	}
	wg.Wait()
	var firstErr error
	for _, w := range order {
		r := results[w]
		rep.Queries = append(rep.Queries, r.r.queries...)
		if r.err != nil && (firstErr == nil || errors.Is(firstErr, context.Canceled)) {
			firstErr = r.err
		}
	}
	if firstErr != nil {
		rep.Error = describePromError(firstErr, b.Prometheus)
		return rep, errors.New(rep.Error)
	}
	budget := rep.Budget
	// The SLO window: remaining budget. No traffic over the whole window is
	// no data: nothing says how the service does.
	if r := results[b.Window].r; r.ok {
		ratio := r.ratio
		rem := (1 - ratio/budget) * 100
		rep.ErrorRatio, rep.Remaining = &ratio, &rem
	} else {
		rep.NoData = append(rep.NoData, b.Window)
	}
	burn := func(w string) *float64 {
		r := results[w].r
		switch {
		case r.ok:
			v := r.ratio / budget
			return &v
		case r.noTraffic:
			// No requests in a burn window burn nothing.
			v := 0.0
			return &v
		}
		return nil
	}
	for _, br := range b.BurnRates {
		x := BurnRateReport{Long: br.Long, Short: br.Short, Max: br.Max, LongRate: burn(br.Long), ShortRate: burn(br.Short)}
		over := func(v *float64) bool { return v != nil && *v > br.Max }
		under := func(v *float64) bool { return v != nil && *v <= br.Max }
		x.Breached = over(x.LongRate) && over(x.ShortRate)
		x.Unknown = !x.Breached && !under(x.LongRate) && !under(x.ShortRate)
		for _, w := range []string{br.Long, br.Short} {
			if results[w].r.ok || results[w].r.noTraffic {
				continue
			}
			if !contains(rep.NoData, w) {
				rep.NoData = append(rep.NoData, w)
			}
		}
		rep.BurnRates = append(rep.BurnRates, x)
	}
	return rep, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// queryErr is a query Prometheus did not answer, and why.
type queryErr struct {
	promQL string
	err    error
}

func (e *queryErr) Error() string { return e.promQL + ": " + e.err.Error() }
func (e *queryErr) Unwrap() error { return e.err }

// notAnswered marks a query cut short because another one failed.
const notAnswered = "not answered: another query failed first"

// queryError is what the listing of queries says of one without an
// answer; ctx is the evaluation's, cancelled once another query failed.
func queryError(ctx context.Context, err error) string {
	var pe *v1.Error
	switch {
	case errors.As(err, &pe):
		return fmt.Sprintf("%s: %s", pe.Type, strings.TrimSpace(pe.Msg))
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case ctx.Err() != nil:
		return notAnswered
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "unreachable"
	}
	return err.Error()
}

// describePromError turns a client error into one line: unreachable, or
// the query Prometheus rejected (named).
func describePromError(err error, address string) string {
	var pe *v1.Error
	if errors.As(err, &pe) {
		msg := pe.Msg
		if pe.Type == v1.ErrClient || pe.Type == v1.ErrServer || pe.Type == v1.ErrBadResponse {
			return fmt.Sprintf("Prometheus %s answered %s", address, strings.TrimSpace(msg))
		}
		var qe *queryErr
		if errors.As(err, &qe) {
			return fmt.Sprintf("Prometheus %s rejected the query %s: %s: %s", address, qe.promQL, pe.Type, msg)
		}
		return fmt.Sprintf("Prometheus %s rejected a query: %s: %s", address, pe.Type, msg)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("Prometheus %s did not answer in time", address)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("Prometheus %s unreachable: %v", address, ue.Err)
	}
	return fmt.Sprintf("Prometheus %s: %v", address, err)
}

// verdict reads the figures against the policy: closed (with why), no
// data, or open.
func (b *Budget) verdict(rep *BudgetReport) (result Result, summary string, details []string) {
	if rep.Remaining != nil {
		details = append(details, fmt.Sprintf("objective %s%% over %s: error ratio %s, budget %s",
			trimFloat(b.Objective), b.Window, pct(*rep.ErrorRatio), pct(rep.Budget)))
	} else {
		details = append(details, fmt.Sprintf("objective %s%% over %s: no data for %s", trimFloat(b.Objective), b.Window, b.Window))
	}
	var closedBy []string
	for _, br := range rep.BurnRates {
		line := fmt.Sprintf("burn rate %s/%s, limit %s×: %s %s, %s %s", br.Long, br.Short, trimFloat(br.Max),
			br.Long, rate(br.LongRate), br.Short, rate(br.ShortRate))
		switch {
		case br.Breached:
			line += "  <- closed it"
			closedBy = append(closedBy, fmt.Sprintf("burning %s× over %s and %s× over %s, above %s×",
				fmtRate(*br.LongRate), br.Long, fmtRate(*br.ShortRate), br.Short, trimFloat(br.Max)))
		case br.Unknown:
			line += "  (no data)"
		}
		details = append(details, line)
	}
	low := rep.Remaining != nil && *rep.Remaining < b.MinRemaining.Value
	remaining := "no data on the budget"
	if rep.Remaining != nil {
		remaining = fmt.Sprintf("%.1f%% of the %s error budget left (min %s)", *rep.Remaining, b.Window, b.MinRemaining.Text)
	}
	switch {
	case low || len(closedBy) > 0:
		var why []string
		if low {
			why = append(why, fmt.Sprintf("%.1f%% of the %s error budget left, below %s", *rep.Remaining, b.Window, b.MinRemaining.Text))
		}
		why = append(why, closedBy...)
		return ResultFail, strings.Join(why, "; "), details
	case len(rep.NoData) > 0:
		sort.Strings(rep.NoData)
		return ResultNoData, fmt.Sprintf("%s; no data for %s", remaining, strings.Join(rep.NoData, ", ")), details
	}
	return ResultPass, remaining + "; burn rates below their limits", details
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", f), "0"), ".")
}

// pct renders a ratio as a percentage with enough digits for small ones.
func pct(r float64) string {
	p := r * 100
	switch {
	case p == 0:
		return "0%"
	case math.Abs(p) >= 1:
		return fmt.Sprintf("%.2f%%", p)
	}
	return fmt.Sprintf("%.4f%%", p)
}

func fmtRate(v float64) string { return fmt.Sprintf("%.2f", v) }

func rate(v *float64) string {
	if v == nil {
		return "no data"
	}
	return fmtRate(*v) + "×"
}
