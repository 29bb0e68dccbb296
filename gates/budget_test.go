package gates

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/promtest"
)

// The history: two services over 28 days and a bit, one sample a minute at
// half past (so no sample sits on a window's edge, whatever the Prometheus
// version's range semantics). "calm" serves 100 requests/s with 0.02/s
// errors throughout; "burning" does the same until two hours before the
// end, then fails 5 of its 100 requests/s.
var (
	promEnd   = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	histStart = promEnd.Add(-28*24*time.Hour - 2*time.Hour)
	burnStart = promEnd.Add(-2 * time.Hour)
)

// counters returns the cumulative ok and error counts of a service at t.
func counters(service string, t time.Time) (ok, bad float64) {
	const base = 1e6 // counters started long ago
	s := t.Sub(histStart).Seconds()
	if service == "calm" || !t.After(burnStart) {
		return base + 100*s, base + 0.02*s
	}
	before := burnStart.Sub(histStart).Seconds()
	after := t.Sub(burnStart).Seconds()
	return base + 100*before + 95*after, base + 0.02*before + 5*after
}

func history() string {
	var b strings.Builder
	b.WriteString("# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n")
	for _, svc := range []string{"calm", "burning"} {
		for _, code := range []string{"200", "500"} {
			for t := histStart.Add(30 * time.Second); t.Before(promEnd); t = t.Add(time.Minute) {
				ok, bad := counters(svc, t)
				v := ok
				if code == "500" {
					v = bad
				}
				fmt.Fprintf(&b, "http_requests_total{service=%q,code=%q} %.6f %d\n", svc, code, v, t.Unix())
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// handRate is what rate(...[w]) evaluates to at promEnd: the increase
// between the first and last samples inside the window over the time
// between them (the extrapolation to the window's edges scales both
// alike).
func handRate(service, code string, w time.Duration) float64 {
	first := promEnd.Add(-w).Add(30 * time.Second)
	last := promEnd.Add(-30 * time.Second)
	ok1, bad1 := counters(service, first)
	ok2, bad2 := counters(service, last)
	inc := ok2 - ok1
	if code == "500" {
		inc = bad2 - bad1
	}
	return inc / last.Sub(first).Seconds()
}

func handRatio(service string, w time.Duration) float64 {
	bad := handRate(service, "500", w)
	return bad / (bad + handRate(service, "200", w))
}

func budgetPolicy(t *testing.T, url, service string, extra func(*BudgetConfig)) *Policy {
	t.Helper()
	obj := 99.9
	bc := &BudgetConfig{
		Prometheus:   url,
		Objective:    &obj,
		Window:       "28d",
		MinRemaining: &Percent{10, "10%"},
		Bad:          fmt.Sprintf(`sum(rate(http_requests_total{service=%q,code=~"5.."}[{{.Window}}]))`, service),
		Total:        fmt.Sprintf(`sum(rate(http_requests_total{service=%q}[{{.Window}}]))`, service),
	}
	if extra != nil {
		extra(bc)
	}
	c := &Config{Settings: Settings{Timezone: "Europe/Berlin", ErrorBudget: bc}}
	p, err := c.Resolve("production")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func evaluateBudget(t *testing.T, p *Policy) (*Decision, string, error) {
	t.Helper()
	m, err := NewPrometheus(p.Budget.Prometheus, &http.Client{Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Evaluate(context.Background(), p, Inputs{Now: promEnd, Metrics: m})
	var buf bytes.Buffer
	if werr := WriteText(&buf, d); werr != nil {
		t.Fatal(werr)
	}
	return d, buf.String(), err
}

func TestErrorBudgetAgainstPrometheus(t *testing.T) {
	srv := promtest.Start(t, promtest.Options{OpenMetrics: history(), BlockDuration: 30 * 24 * time.Hour})
	const budget = 1 - 0.999

	t.Run("calm service opens", func(t *testing.T) {
		d, text, err := evaluateBudget(t, budgetPolicy(t, srv.URL, "calm", nil))
		if err != nil {
			t.Fatal(err)
		}
		if !d.Open {
			t.Fatalf("gate closed for a calm service:\n%s", text)
		}
		rem := (1 - handRatio("calm", 28*24*time.Hour)/budget) * 100
		c := d.Checks[0]
		if c.Budget.Remaining == nil || math.Abs(*c.Budget.Remaining-rem) > 1e-6 {
			t.Errorf("remaining = %v; want %v by hand", c.Budget.Remaining, rem)
		}
		for _, want := range []string{
			fmt.Sprintf("%.1f%% of the 28d error budget left (min 10%%)", rem),
			fmt.Sprintf("1h %.2f×, 5m %.2f×", handRatio("calm", time.Hour)/budget, handRatio("calm", 5*time.Minute)/budget),
			`sum(rate(http_requests_total{service="calm",code=~"5.."}[28d])) = `,
			"PromQL at 2026-11-30T10:00:00+01:00",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q:\n%s", want, text)
			}
		}
		if rem < 79.9 || rem > 80.1 {
			t.Errorf("hand computation off: remaining %v%%, want about 80%%", rem)
		}
	})

	t.Run("fast burn closes", func(t *testing.T) {
		d, text, err := evaluateBudget(t, budgetPolicy(t, srv.URL, "burning", nil))
		if err != nil {
			t.Fatal(err)
		}
		if d.Open {
			t.Fatalf("gate open for a service burning 50x:\n%s", text)
		}
		b := d.Checks[0].Budget
		long, short := handRatio("burning", time.Hour)/budget, handRatio("burning", 5*time.Minute)/budget
		if !b.BurnRates[0].Breached || math.Abs(*b.BurnRates[0].LongRate-long) > 1e-6 || math.Abs(*b.BurnRates[0].ShortRate-short) > 1e-6 {
			t.Errorf("1h/5m = %+v; want breached with %v and %v", b.BurnRates[0], long, short)
		}
		six := handRatio("burning", 6*time.Hour) / budget
		if !b.BurnRates[1].Breached || math.Abs(*b.BurnRates[1].LongRate-six) > 1e-6 {
			t.Errorf("6h/30m = %+v; want breached, 6h at %v", b.BurnRates[1], six)
		}
		rem := (1 - handRatio("burning", 28*24*time.Hour)/budget) * 100
		for _, want := range []string{
			fmt.Sprintf("burning %.2f× over 1h and %.2f× over 5m, above 14.4×", long, short),
			fmt.Sprintf("burn rate 1h/5m, limit 14.4×: 1h %.2f×, 5m %.2f×  <- closed it", long, short),
			fmt.Sprintf("burn rate 6h/30m, limit 6×: 6h %.2f×", six),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q:\n%s", want, text)
			}
		}
		if *b.Remaining < 10 || math.Abs(*b.Remaining-rem) > 1e-6 {
			t.Errorf("remaining = %v; want %v (above the minimum: the burn closed it)", *b.Remaining, rem)
		}
	})

	t.Run("spent budget closes", func(t *testing.T) {
		p := budgetPolicy(t, srv.URL, "calm", func(b *BudgetConfig) { b.MinRemaining = &Percent{85, "85%"} })
		d, text, _ := evaluateBudget(t, p)
		if d.Open || !strings.Contains(text, "of the 28d error budget left, below 85%") {
			t.Errorf("want closed by the remaining budget:\n%s", text)
		}
	})

	t.Run("no data", func(t *testing.T) {
		for _, outcome := range []string{"closed", "open"} {
			p := budgetPolicy(t, srv.URL, "nonexistent", func(b *BudgetConfig) { b.NoData = outcome })
			d, text, err := evaluateBudget(t, p)
			if err != nil {
				t.Fatal(err)
			}
			c := d.Checks[0]
			if c.Result != ResultNoData || d.Open != (outcome == "open") {
				t.Errorf("no_data: %s: result %s, open %v:\n%s", outcome, c.Result, d.Open, text)
			}
			if !strings.Contains(text, "no data for 1h, 28d, 30m, 5m, 6h") {
				t.Errorf("output does not say which windows lack data:\n%s", text)
			}
		}
	})

	t.Run("query error fails closed", func(t *testing.T) {
		p := budgetPolicy(t, srv.URL, "calm", func(b *BudgetConfig) { b.Bad = "sum(rate(http_requests_total[{{.Window}}]" })
		d, text, err := evaluateBudget(t, p)
		if !errors.Is(err, fault.Unavailable) || d.Open || !strings.Contains(err.Error(), "rejected the query sum(rate(http_requests_total[") ||
			!strings.Contains(err.Error(), ": bad_data: ") {
			t.Errorf("err = %v, open %v; want fault.Unavailable naming the bad query", err, d.Open)
		}
		// The listing says which query failed, not "no data".
		if !strings.Contains(text, "] = error: bad_data: ") || strings.Contains(text, "= no data") {
			t.Errorf("the failed queries are not shown as errors:\n%s", text)
		}
	})
}

func TestErrorBudgetUnreachable(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	p := budgetPolicy(t, url, "calm", nil)
	d, text, err := evaluateBudget(t, p)
	if !errors.Is(err, fault.Unavailable) || d.Open {
		t.Fatalf("err = %v, open = %v; want fault.Unavailable and closed", err, d.Open)
	}
	if want := "error budget: Prometheus " + url + " unreachable: "; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %q; want one line starting %q", err, want)
	}
	if strings.Contains(text, "= no data") || !strings.Contains(text, "])) = error: unreachable") {
		t.Errorf("unanswered queries must not read as no data:\n%s", text)
	}
	p = budgetPolicy(t, url, "calm", func(b *BudgetConfig) { b.OnError = "open" })
	d, text, err = evaluateBudget(t, p)
	if err != nil || !d.Open || !d.ErrorOpened || !strings.Contains(text, "opened on error") {
		t.Errorf("on_error open: err %v, open %v:\n%s", err, d.Open, text)
	}
}

// fakeMetrics answers queries from a table and records them: for the
// presets, where what matters is the PromQL lockstep writes.
type fakeMetrics struct {
	values map[string]float64
	asked  []string
}

func (f *fakeMetrics) Query(ctx context.Context, q string, at time.Time) (model.Value, error) {
	f.asked = append(f.asked, q)
	v, ok := f.values[q]
	if !ok {
		return model.Vector{}, nil
	}
	return model.Vector{&model.Sample{Value: model.SampleValue(v), Timestamp: model.TimeFromUnixNano(at.UnixNano())}}, nil
}

func TestPresets(t *testing.T) {
	obj := 99.5
	cases := []struct {
		name  string
		bc    BudgetConfig
		want  []string // queries, in order
		ratio float64
	}{
		{
			name: "sloth",
			bc:   BudgetConfig{Sloth: &SlothConfig{Service: "api", SLO: "availability"}},
			want: []string{
				`slo:sli_error:ratio_rate30d{sloth_service="api",sloth_slo="availability"}`,
				`slo:sli_error:ratio_rate1h{sloth_service="api",sloth_slo="availability"}`,
				`slo:sli_error:ratio_rate5m{sloth_service="api",sloth_slo="availability"}`,
				`slo:sli_error:ratio_rate6h{sloth_service="api",sloth_slo="availability"}`,
				`slo:sli_error:ratio_rate30m{sloth_service="api",sloth_slo="availability"}`,
			},
		},
		{
			name: "pyrra",
			bc:   BudgetConfig{Pyrra: &PyrraConfig{SLO: "api-errors", Metric: "http_requests_total"}, Window: "4w"},
			want: []string{
				`1 - pyrra_availability{slo="api-errors"}`,
				`http_requests:burnrate1h{slo="api-errors"}`,
				`http_requests:burnrate5m{slo="api-errors"}`,
				`http_requests:burnrate6h{slo="api-errors"}`,
				`http_requests:burnrate30m{slo="api-errors"}`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bc := c.bc
			bc.Prometheus, bc.Objective = "http://127.0.0.1:9090", &obj
			p, err := (&Config{Settings: Settings{ErrorBudget: &bc}}).Resolve("")
			if err != nil {
				t.Fatal(err)
			}
			m := &fakeMetrics{values: map[string]float64{}}
			for _, q := range c.want {
				m.values[q] = 0.001 // a fifth of the 0.5% budget
			}
			d, err := Evaluate(context.Background(), p, Inputs{Now: promEnd, Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, q := range m.asked {
				got[q] = true
			}
			for _, q := range c.want {
				if !got[q] {
					t.Errorf("did not query %s; asked %q", q, m.asked)
				}
			}
			if len(m.asked) != len(c.want) {
				t.Errorf("asked %d queries; want %d: %q", len(m.asked), len(c.want), m.asked)
			}
			b := d.Checks[0].Budget
			if !d.Open || math.Abs(*b.Remaining-80) > 1e-9 || math.Abs(*b.BurnRates[0].LongRate-0.2) > 1e-9 {
				t.Errorf("open %v, remaining %v, 1h burn %v; want open, 80%%, 0.2", d.Open, *b.Remaining, *b.BurnRates[0].LongRate)
			}
		})
	}
}
