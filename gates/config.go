package gates

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// ConfigSchema is the JSON Schema of the gates section of lockstep.yaml.
//
//go:embed schema.json
var ConfigSchema []byte

// Config is the `gates:` section of lockstep.yaml as written: the settings
// every environment starts from, and per-environment overrides of them.
type Config struct {
	Settings `yaml:",inline"`
	// Environments overrides settings per environment (lockstep gate
	// --env NAME). A key an environment sets replaces the shared one; lists
	// (windows, freezes) are replaced as a whole, error_budget and override
	// are merged key by key.
	Environments map[string]Settings `yaml:"environments"`
}

// Settings is one level of the policy: the shared one or an environment's.
// An unset field inherits.
type Settings struct {
	// Timezone is the IANA zone windows and freezes are written in (default UTC).
	Timezone string `yaml:"timezone"`
	// Windows are the times deploys may start; none means any time. An
	// empty list in an environment lifts the shared windows.
	Windows []WindowConfig `yaml:"windows"`
	// Freezes are periods no deploy may start.
	Freezes []FreezeConfig `yaml:"freezes"`
	// GitLabFreezes applies the project's GitLab deploy freeze periods.
	GitLabFreezes *bool `yaml:"gitlab_freezes"`
	// ErrorBudget closes the gate when the SLO's budget is spent or burning.
	ErrorBudget *BudgetConfig `yaml:"error_budget"`
	// MigrationRisk is the highest risk of the pending migrations allowed:
	// none, hint, warning, error or contract.
	MigrationRisk string `yaml:"migration_risk"`
	// Override says who may override which gates.
	Override *OverrideConfig `yaml:"override"`
	// FinishBeforeClose refuses a deploy that would not finish before the
	// window closes or the next freeze begins.
	FinishBeforeClose *bool `yaml:"finish_before_close"`
	// RolloutDuration, when set, is the rollout's expected duration, instead
	// of the estimate from the deploy section.
	RolloutDuration string `yaml:"rollout_duration"`
	// BackfillRate is the rows per second a backfill is assumed to manage
	// when the ledger has no finished backfill to measure (default 1000).
	BackfillRate *float64 `yaml:"backfill_rows_per_second"`
}

// WindowConfig is a deploy window as written.
type WindowConfig struct {
	// Days are mon..sun, ranges like mon-fri, weekdays, weekend or daily
	// (default: every day).
	Days []string `yaml:"days"`
	// From and To are HH:MM on the wall clock; To may be 24:00. A window
	// whose To is not after From runs past midnight into the next day.
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// FreezeConfig is a freeze as written: fixed (from, to) or recurring (cron,
// duration).
type FreezeConfig struct {
	Name string `yaml:"name"`
	// From and To are dates (2026-12-20, whole days: To is inclusive), wall
	// times (2026-12-20T18:00) or RFC 3339 timestamps; To of a timestamp is
	// exclusive.
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// Cron is the start of a recurring freeze (five fields), Duration its
	// length on the wall clock (63h, 2d15h).
	Cron     string `yaml:"cron"`
	Duration string `yaml:"duration"`
	// Timezone overrides the policy's zone for this freeze.
	Timezone string `yaml:"timezone"`
}

// BudgetConfig is the error-budget check as written.
type BudgetConfig struct {
	// Enabled false turns the check off (in one environment, say).
	Enabled *bool `yaml:"enabled"`
	// Prometheus is the base URL of the Prometheus HTTP API.
	Prometheus string `yaml:"prometheus"`
	// Objective is the SLO in percent, e.g. 99.9.
	Objective *float64 `yaml:"objective"`
	// Window is the SLO's period, e.g. 28d (default 28d; 30d with sloth).
	Window string `yaml:"window"`
	// MinRemaining is the least budget left that opens the gate, e.g. 10%.
	MinRemaining *Percent `yaml:"min_remaining"`
	// Bad and Total are PromQL templates of bad and all events per second
	// over {{.Window}}.
	Bad   string `yaml:"bad"`
	Total string `yaml:"total"`
	// Ratio is a PromQL template of the error ratio over {{.Window}},
	// instead of Bad and Total.
	Ratio string `yaml:"ratio"`
	// Sloth and Pyrra read the recording rules those tools generate.
	Sloth *SlothConfig `yaml:"sloth"`
	Pyrra *PyrraConfig `yaml:"pyrra"`
	// BurnRates are the multiwindow limits (default 14.4× over 1h and 5m,
	// 6× over 6h and 30m).
	BurnRates []BurnRateConfig `yaml:"burn_rates"`
	// NoData is the outcome when a query returns nothing: closed (default)
	// or open.
	NoData string `yaml:"no_data"`
	// OnError is the outcome when Prometheus cannot answer: closed (default,
	// exit 4) or open.
	OnError string `yaml:"on_error"`
	// Timeout bounds each query (default 30s).
	Timeout string `yaml:"timeout"`
}

// SlothConfig selects a Sloth SLO by its sloth_service and sloth_slo labels.
type SlothConfig struct {
	Service string `yaml:"service"`
	SLO     string `yaml:"slo"`
}

// PyrraConfig selects a Pyrra SLO by name and its total metric.
type PyrraConfig struct {
	SLO    string `yaml:"slo"`
	Metric string `yaml:"metric"`
}

// BurnRateConfig is one multiwindow burn-rate limit: the gate closes when
// both windows burn faster than Max.
type BurnRateConfig struct {
	Long  string  `yaml:"long"`
	Short string  `yaml:"short"`
	Max   float64 `yaml:"max"`
}

// OverrideConfig says who may override the gate and what.
type OverrideConfig struct {
	// Allowed lists user names and @group names.
	Allowed []string `yaml:"allowed"`
	// Groups defines the @groups Allowed refers to.
	Groups map[string][]string `yaml:"groups"`
	// ReasonRequired (default true) refuses an override without a reason.
	ReasonRequired *bool `yaml:"reason_required"`
	// Never lists gates no override may bypass.
	Never []string `yaml:"never"`
}

// Percent is a percentage written as "10%" or 10.
type Percent struct {
	Value float64
	Text  string
}

// UnmarshalYAML reads "10%", "12.5%" or a number.
func (p *Percent) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	q, err := parsePercent(v)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

func parsePercent(v any) (Percent, error) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || !strings.HasSuffix(s, "%") {
			return Percent{}, fmt.Errorf("%q is not a percentage like 10%%", x)
		}
		return Percent{f, s}, nil
	case uint64:
		return Percent{float64(x), fmt.Sprintf("%d%%", x)}, nil
	case int64:
		return Percent{float64(x), fmt.Sprintf("%d%%", x)}, nil
	case int:
		return Percent{float64(x), fmt.Sprintf("%d%%", x)}, nil
	case float64:
		return Percent{x, strconv.FormatFloat(x, 'f', -1, 64) + "%"}, nil
	}
	return Percent{}, fmt.Errorf("%v is not a percentage like 10%%", v)
}

// SettingError is a bad setting: Path locates it in lockstep.yaml
// ("gates", "windows", "0", "from"), so the caller can name file:line.
type SettingError struct {
	Path []string
	Msg  string
}

func (e *SettingError) Error() string { return dotted(e.Path) + ": " + e.Msg }

func dotted(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			fmt.Fprintf(&b, "[%s]", p)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func at(path []string, elems ...string) []string {
	out := make([]string, 0, len(path)+len(elems))
	return append(append(out, path...), elems...)
}

func settingErr(path []string, format string, args ...any) error {
	return &SettingError{Path: path, Msg: fmt.Sprintf(format, args...)}
}
