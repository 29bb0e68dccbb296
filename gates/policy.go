package gates

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
	_ "time/tzdata" // zones work in images without /usr/share/zoneinfo

	"github.com/prometheus/common/model"
)

// Gate names: what a check is called in output, in --override-gates and in
// override.never.
const (
	GateWindow            = "window"
	GateFreeze            = "freeze"
	GateGitLabFreeze      = "gitlab_freeze"
	GateErrorBudget       = "error_budget"
	GateMigrationRisk     = "migration_risk"
	GateFinishBeforeClose = "finish_before_close"
)

// GateNames lists every gate, in the order checks run.
var GateNames = []string{GateWindow, GateFreeze, GateGitLabFreeze, GateErrorBudget, GateMigrationRisk, GateFinishBeforeClose}

// ParseGate reads a gate name; dashes count as underscores.
func ParseGate(s string) (string, bool) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
	switch n {
	case "freezes":
		n = GateFreeze
	case "windows":
		n = GateWindow
	case "gitlab_freezes":
		n = GateGitLabFreeze
	}
	for _, g := range GateNames {
		if g == n {
			return g, true
		}
	}
	return "", false
}

// Policy is the resolved policy of one environment: every time parsed,
// every default filled in.
type Policy struct {
	Environment string
	Location    *time.Location
	// Windows are the deploy windows; none means any time.
	Windows []Window
	Freezes []Freeze
	// GitLabFreezes applies the project's GitLab freeze periods.
	GitLabFreezes bool
	// Budget is the error-budget check, nil when off.
	Budget *Budget
	// MaxRisk is the highest migration risk allowed, nil when not checked.
	MaxRisk  *Risk
	Override OverrideRule
	// FinishBeforeClose refuses a rollout that would not end before the
	// window closes or a freeze begins.
	FinishBeforeClose bool
	// RolloutDuration, when not zero, replaces the estimate from the deploy
	// configuration.
	RolloutDuration time.Duration
	// BackfillRate is the assumed backfill speed in rows per second.
	BackfillRate float64
	// Warnings are said with every decision under this policy.
	Warnings []string
}

// Window is a deploy window on the wall clock of the policy's zone.
type Window struct {
	Days [7]bool // by time.Weekday
	// From and To are minutes after midnight; To is 1..1440. To <= From
	// means the window runs past midnight.
	From, To int
}

// overnight reports whether the window runs past midnight.
func (w Window) overnight() bool { return w.To <= w.From }

// String renders the window as it would be written: "mon-thu 09:00-16:00".
func (w Window) String() string {
	return daysString(w.Days) + " " + hhmm(w.From) + "–" + hhmm(w.To)
}

// Freeze is a period no deploy may start: fixed (Start, End) or recurring
// (Cron, Duration on the wall clock).
type Freeze struct {
	Name string
	// Start and End bound a fixed freeze, End exclusive.
	Start, End time.Time
	// cron and duration describe a recurring one.
	cron     *cronSpec
	duration time.Duration
	// Cron and Duration as written, for display.
	Cron     string
	Duration string
	Location *time.Location
	// dates is true when From and To were dates (display them as dates).
	dates bool
}

// Recurring reports whether the freeze repeats.
func (f Freeze) Recurring() bool { return f.cron != nil }

// Budget is the resolved error-budget check.
type Budget struct {
	Prometheus string
	// Objective is the SLO in percent (99.9).
	Objective float64
	// Window is the SLO period as written (28d) and parsed.
	Window    string
	WindowDur time.Duration
	// MinRemaining is the least budget left, in percent.
	MinRemaining Percent
	// Source names how error ratios are read: "queries", "ratio", "sloth"
	// or "pyrra".
	Source    string
	bad       *template.Template
	total     *template.Template
	ratio     *template.Template
	period    *template.Template // ratio over the SLO window when it differs (pyrra)
	BurnRates []BurnRate
	// NoDataOpen and OnErrorOpen are the outcomes for empty results and
	// for Prometheus errors.
	NoDataOpen  bool
	OnErrorOpen bool
	Timeout     time.Duration
}

// BurnRate is one multiwindow limit: closed when both windows burn budget
// faster than Max times the sustainable rate.
type BurnRate struct {
	Long, Short       string
	LongDur, ShortDur time.Duration
	Max               float64
}

// DefaultBurnRates are the SRE workbook's page-level pairs: 2% of a 30-day
// budget in one hour, 5% in six.
var DefaultBurnRates = []BurnRateConfig{{Long: "1h", Short: "5m", Max: 14.4}, {Long: "6h", Short: "30m", Max: 6}}

// OverrideRule is who may override which gates.
type OverrideRule struct {
	Allowed        []string
	Groups         map[string][]string
	ReasonRequired bool
	Never          map[string]bool
}

// EnvironmentNames lists the environments the configuration names, sorted.
func (c *Config) EnvironmentNames() []string {
	var out []string
	for n := range c.Environments {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Validate resolves the shared policy and every environment's, so a bad
// setting anywhere is reported whichever environment runs.
func (c *Config) Validate() error {
	if _, err := c.resolve(""); err != nil {
		return err
	}
	for _, n := range c.EnvironmentNames() {
		if _, err := c.resolve(n); err != nil {
			return err
		}
	}
	return nil
}

// Resolve returns the policy of environment env (the shared one for "").
// An env the configuration does not name gets the shared policy; when the
// configuration names other environments, the policy carries a warning
// saying so (a typo in --env then shows, and the shared policy, usually
// the strict one, applies). Errors are *SettingError.
func (c *Config) Resolve(env string) (*Policy, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p, err := c.resolve(env)
	if err != nil {
		return nil, err
	}
	p.Environment = env
	if _, ok := c.Environments[env]; env != "" && !ok && len(c.Environments) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("gates.environments has no %q (only %s): the shared policy applies",
			env, strings.Join(c.EnvironmentNames(), ", ")))
	}
	return p, nil
}

// layer is one level of settings and where it is written.
type layer struct {
	s    *Settings
	path []string
}

func (c *Config) resolve(env string) (*Policy, error) {
	layers := []layer{{&c.Settings, []string{"gates"}}}
	if es, ok := c.Environments[env]; ok && env != "" {
		es := es
		layers = append(layers, layer{&es, []string{"gates", "environments", env}})
	}
	// last returns the deepest layer for which set is true.
	last := func(set func(*Settings) bool) (layer, bool) {
		for i := len(layers) - 1; i >= 0; i-- {
			if set(layers[i].s) {
				return layers[i], true
			}
		}
		return layer{}, false
	}
	p := &Policy{Location: time.UTC, BackfillRate: 1000}
	if l, ok := last(func(s *Settings) bool { return s.Timezone != "" }); ok {
		loc, err := loadZone(l.s.Timezone)
		if err != nil {
			return nil, settingErr(at(l.path, "timezone"), "%v", err)
		}
		p.Location = loc
	}
	// Freezes and windows of every layer are checked, even when a deeper
	// one replaces them.
	for _, l := range layers {
		if _, err := compileWindows(l.s.Windows, at(l.path, "windows")); err != nil {
			return nil, err
		}
		if _, err := compileFreezes(l.s.Freezes, p.Location, at(l.path, "freezes")); err != nil {
			return nil, err
		}
	}
	if l, ok := last(func(s *Settings) bool { return s.Windows != nil }); ok {
		p.Windows, _ = compileWindows(l.s.Windows, at(l.path, "windows"))
	}
	if l, ok := last(func(s *Settings) bool { return s.Freezes != nil }); ok {
		p.Freezes, _ = compileFreezes(l.s.Freezes, p.Location, at(l.path, "freezes"))
	}
	if l, ok := last(func(s *Settings) bool { return s.GitLabFreezes != nil }); ok {
		p.GitLabFreezes = *l.s.GitLabFreezes
	}
	if l, ok := last(func(s *Settings) bool { return s.FinishBeforeClose != nil }); ok {
		p.FinishBeforeClose = *l.s.FinishBeforeClose
	}
	if l, ok := last(func(s *Settings) bool { return s.MigrationRisk != "" }); ok {
		r, err := ParseRisk(l.s.MigrationRisk)
		if err != nil {
			return nil, settingErr(at(l.path, "migration_risk"), "%v", err)
		}
		p.MaxRisk = &r
	}
	if l, ok := last(func(s *Settings) bool { return s.RolloutDuration != "" }); ok {
		d, err := parseDuration(l.s.RolloutDuration)
		if err != nil {
			return nil, settingErr(at(l.path, "rollout_duration"), "%v", err)
		}
		p.RolloutDuration = d
	}
	if l, ok := last(func(s *Settings) bool { return s.BackfillRate != nil }); ok {
		if *l.s.BackfillRate <= 0 {
			return nil, settingErr(at(l.path, "backfill_rows_per_second"), "must be more than 0")
		}
		p.BackfillRate = *l.s.BackfillRate
	}
	var err error
	if p.Override, err = resolveOverride(layers); err != nil {
		return nil, err
	}
	if p.Budget, err = resolveBudget(layers); err != nil {
		return nil, err
	}
	return p, nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("%q depends on the machine: name the zone, e.g. Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (want an IANA name like Europe/Berlin)", name)
	}
	return loc, nil
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseDay(s string) (time.Weekday, bool) {
	s = strings.ToLower(s)
	for i, n := range dayNames {
		if s == n || (len(s) > 3 && strings.HasPrefix(time.Weekday(i).String(), strings.ToUpper(s[:1])+s[1:])) {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseDays reads day names, ranges (mon-fri, fri-mon wraps), weekdays,
// weekend and daily.
func parseDays(list []string) ([7]bool, error) {
	var out [7]bool
	if len(list) == 0 {
		return [7]bool{true, true, true, true, true, true, true}, nil
	}
	for _, item := range list {
		s := strings.ToLower(strings.TrimSpace(item))
		switch s {
		case "daily", "all", "*":
			return [7]bool{true, true, true, true, true, true, true}, nil
		case "weekdays":
			for d := time.Monday; d <= time.Friday; d++ {
				out[d] = true
			}
			continue
		case "weekend":
			out[time.Saturday], out[time.Sunday] = true, true
			continue
		}
		a, b, isRange := strings.Cut(s, "-")
		da, ok1 := parseDay(a)
		db, ok2 := da, true
		if isRange {
			db, ok2 = parseDay(b)
		}
		if !ok1 || !ok2 {
			return out, fmt.Errorf("%q is not a day (want mon..sun, a range like mon-fri, weekdays, weekend or daily)", item)
		}
		for d := da; ; d = (d + 1) % 7 {
			out[d] = true
			if d == db {
				break
			}
		}
	}
	return out, nil
}

func daysString(days [7]bool) string {
	n := 0
	for _, on := range days {
		if on {
			n++
		}
	}
	if n == 7 {
		return "daily"
	}
	// Runs of consecutive days from Monday: mon-thu, sat, ...
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	var parts []string
	for i := 0; i < 7; {
		if !days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && days[order[j+1]] {
			j++
		}
		if j == i {
			parts = append(parts, dayNames[order[i]])
		} else {
			parts = append(parts, dayNames[order[i]]+"-"+dayNames[order[j]])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

var hhmmRe = regexp.MustCompile(`^([01]?[0-9]|2[0-4]):([0-5][0-9])$`)

// parseHHMM reads HH:MM (24:00 allowed) into minutes after midnight.
func parseHHMM(s string) (int, error) {
	m := hhmmRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a time of day like 09:00", s)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h == 24 && mi != 0 {
		return 0, fmt.Errorf("%q is past 24:00", s)
	}
	return h*60 + mi, nil
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func compileWindows(ws []WindowConfig, path []string) ([]Window, error) {
	out := make([]Window, 0, len(ws))
	for i, wc := range ws {
		p := at(path, strconv.Itoa(i))
		days, err := parseDays(wc.Days)
		if err != nil {
			return nil, settingErr(at(p, "days"), "%v", err)
		}
		if wc.From == "" || wc.To == "" {
			return nil, settingErr(p, "a window needs from and to")
		}
		from, err := parseHHMM(wc.From)
		if err != nil {
			return nil, settingErr(at(p, "from"), "%v", err)
		}
		to, err := parseHHMM(wc.To)
		if err != nil {
			return nil, settingErr(at(p, "to"), "%v", err)
		}
		if from == 1440 {
			return nil, settingErr(at(p, "from"), "a window cannot start at 24:00 (use 00:00 of the next day)")
		}
		if to == 0 {
			to = 1440
		}
		if from == to {
			return nil, settingErr(at(p, "to"), "the window %s-%s is empty (for the whole day use 00:00-24:00)", wc.From, wc.To)
		}
		out = append(out, Window{Days: days, From: from, To: to})
	}
	return out, nil
}

var (
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	wallTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$`)
)

// parseMoment reads a date (its midnight; endOfDay: the next midnight), a
// wall time in loc, or an RFC 3339 timestamp.
func parseMoment(s string, loc *time.Location, endOfDay bool) (time.Time, bool, error) {
	s = strings.TrimSpace(s)
	switch {
	case dateRe.MatchString(s):
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a date: %v", s, err)
		}
		c := civilOf(d)
		if endOfDay {
			c = c.addDays(1)
		}
		return wallStart(loc, c), true, nil
	case wallTimeRe.MatchString(s):
		layout := "2006-01-02T15:04"
		v := strings.Replace(s, " ", "T", 1)
		if len(v) == len("2006-01-02T15:04:05") {
			layout += ":05"
		}
		d, err := time.Parse(layout, v)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a time: %v", s, err)
		}
		return wallStart(loc, civilOf(d)).Add(time.Duration(d.Second()) * time.Second), false, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%q is not a date (2026-12-20), a wall time (2026-12-20T18:00) or an RFC 3339 timestamp", s)
	}
	return t.In(loc), false, nil
}

func compileFreezes(fs []FreezeConfig, zone *time.Location, path []string) ([]Freeze, error) {
	out := make([]Freeze, 0, len(fs))
	names := map[string]bool{}
	for i, fc := range fs {
		p := at(path, strconv.Itoa(i))
		if fc.Name == "" {
			return nil, settingErr(p, "a freeze needs a name")
		}
		if names[fc.Name] {
			return nil, settingErr(at(p, "name"), "two freezes are named %q", fc.Name)
		}
		names[fc.Name] = true
		loc := zone
		if fc.Timezone != "" {
			l, err := loadZone(fc.Timezone)
			if err != nil {
				return nil, settingErr(at(p, "timezone"), "%v", err)
			}
			loc = l
		}
		f := Freeze{Name: fc.Name, Location: loc}
		fixed := fc.From != "" || fc.To != ""
		recurring := fc.Cron != "" || fc.Duration != ""
		switch {
		case fixed && recurring:
			return nil, settingErr(p, "a freeze is either fixed (from, to) or recurring (cron, duration), not both")
		case fixed:
			if fc.From == "" || fc.To == "" {
				return nil, settingErr(p, "a fixed freeze needs from and to")
			}
			start, d1, err := parseMoment(fc.From, loc, false)
			if err != nil {
				return nil, settingErr(at(p, "from"), "%v", err)
			}
			end, d2, err := parseMoment(fc.To, loc, true)
			if err != nil {
				return nil, settingErr(at(p, "to"), "%v", err)
			}
			if !end.After(start) {
				return nil, settingErr(at(p, "to"), "%s is not after from (%s)", fc.To, fc.From)
			}
			f.Start, f.End, f.dates = start, end, d1 && d2
		case recurring:
			if fc.Cron == "" || fc.Duration == "" {
				return nil, settingErr(p, "a recurring freeze needs cron (its start) and duration")
			}
			c, err := parseCron(fc.Cron, loc)
			if err != nil {
				return nil, settingErr(at(p, "cron"), "%v", err)
			}
			d, err := parseDuration(fc.Duration)
			if err != nil {
				return nil, settingErr(at(p, "duration"), "%v", err)
			}
			if d%time.Minute != 0 || d <= 0 {
				return nil, settingErr(at(p, "duration"), "%q: want whole minutes, more than zero", fc.Duration)
			}
			f.cron, f.duration, f.Cron, f.Duration = c, d, fc.Cron, fc.Duration
		default:
			return nil, settingErr(p, "a freeze needs from and to, or cron and duration")
		}
		out = append(out, f)
	}
	return out, nil
}

// parseDuration reads Prometheus-style durations (28d, 1h30m, 2w) and Go's.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := model.ParseDuration(s); err == nil {
		if d <= 0 {
			return 0, fmt.Errorf("%q: want a duration more than zero", s)
		}
		return time.Duration(d), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 30m, 6h or 28d", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: want a duration more than zero", s)
	}
	return d, nil
}

// promDuration reads a duration PromQL accepts in a range selector.
func promDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a PromQL duration like 5m, 6h or 28d", s)
	}
	return time.Duration(d), nil
}

func resolveOverride(layers []layer) (OverrideRule, error) {
	r := OverrideRule{ReasonRequired: true, Never: map[string]bool{}, Groups: map[string][]string{}}
	for _, l := range layers {
		o := l.s.Override
		if o == nil {
			continue
		}
		p := at(l.path, "override")
		if o.Allowed != nil {
			r.Allowed = o.Allowed
		}
		for g, members := range o.Groups {
			r.Groups[g] = members
		}
		if o.ReasonRequired != nil {
			r.ReasonRequired = *o.ReasonRequired
		}
		if o.Never != nil {
			r.Never = map[string]bool{}
			for i, n := range o.Never {
				g, ok := ParseGate(n)
				if !ok {
					return r, settingErr(at(p, "never", strconv.Itoa(i)), "unknown gate %q (gates: %s)", n, strings.Join(GateNames, ", "))
				}
				r.Never[g] = true
			}
		}
	}
	for _, a := range r.Allowed {
		if g, ok := strings.CutPrefix(a, "@"); ok {
			if _, defined := r.Groups[g]; !defined {
				return r, settingErr(overridePath(layers), "allowed names group @%s, which override.groups does not define", g)
			}
		}
	}
	return r, nil
}

func overridePath(layers []layer) []string {
	for i := len(layers) - 1; i >= 0; i-- {
		if layers[i].s.Override != nil {
			return at(layers[i].path, "override", "allowed")
		}
	}
	return []string{"gates", "override"}
}

// windowData is what query templates see.
type windowData struct{ Window string }

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := t.Execute(&b, windowData{"5m"}); err != nil {
		return nil, fmt.Errorf("%v (the only field is {{.Window}})", err)
	}
	return t, nil
}

func resolveBudget(layers []layer) (*Budget, error) {
	// Merge key by key; the query source (bad/total, ratio, sloth, pyrra)
	// is replaced as a whole by a layer that sets any of it.
	var m BudgetConfig
	var srcPath, anyPath []string
	found := false
	origin := map[string][]string{}
	for _, l := range layers {
		bc := l.s.ErrorBudget
		if bc == nil {
			continue
		}
		found = true
		p := at(l.path, "error_budget")
		anyPath = p
		set := func(key string, ok bool) bool {
			if ok {
				origin[key] = at(p, key)
			}
			return ok
		}
		if set("enabled", bc.Enabled != nil) {
			m.Enabled = bc.Enabled
		}
		if set("prometheus", bc.Prometheus != "") {
			m.Prometheus = bc.Prometheus
		}
		if set("objective", bc.Objective != nil) {
			m.Objective = bc.Objective
		}
		if set("window", bc.Window != "") {
			m.Window = bc.Window
		}
		if set("min_remaining", bc.MinRemaining != nil) {
			m.MinRemaining = bc.MinRemaining
		}
		if set("burn_rates", bc.BurnRates != nil) {
			m.BurnRates = bc.BurnRates
		}
		if set("no_data", bc.NoData != "") {
			m.NoData = bc.NoData
		}
		if set("on_error", bc.OnError != "") {
			m.OnError = bc.OnError
		}
		if set("timeout", bc.Timeout != "") {
			m.Timeout = bc.Timeout
		}
		if bc.Bad != "" || bc.Total != "" || bc.Ratio != "" || bc.Sloth != nil || bc.Pyrra != nil {
			m.Bad, m.Total, m.Ratio, m.Sloth, m.Pyrra = bc.Bad, bc.Total, bc.Ratio, bc.Sloth, bc.Pyrra
			srcPath = p
		}
	}
	if !found || (m.Enabled != nil && !*m.Enabled) {
		return nil, nil
	}
	b := &Budget{Prometheus: strings.TrimRight(m.Prometheus, "/"), Timeout: 30 * time.Second}
	if b.Prometheus == "" {
		return nil, settingErr(anyPath, "missing required key prometheus (the Prometheus URL)")
	}
	if !strings.HasPrefix(b.Prometheus, "http://") && !strings.HasPrefix(b.Prometheus, "https://") {
		return nil, settingErr(origin["prometheus"], "%q is not an http(s) URL", m.Prometheus)
	}
	if m.Objective == nil {
		return nil, settingErr(anyPath, "missing required key objective (the SLO in percent, e.g. 99.9)")
	}
	if *m.Objective <= 0 || *m.Objective >= 100 {
		return nil, settingErr(origin["objective"], "%v: want a percentage between 0 and 100, e.g. 99.9", *m.Objective)
	}
	b.Objective = *m.Objective
	switch {
	case srcPath == nil:
		return nil, settingErr(anyPath, "say how to read errors: bad and total, ratio, sloth or pyrra")
	}
	n := 0
	for _, set := range []bool{m.Bad != "" || m.Total != "", m.Ratio != "", m.Sloth != nil, m.Pyrra != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, settingErr(srcPath, "give one of bad and total, ratio, sloth or pyrra")
	}
	b.Window = "28d"
	var err error
	switch {
	case m.Bad != "" || m.Total != "":
		b.Source = "queries"
		if m.Bad == "" || m.Total == "" {
			return nil, settingErr(srcPath, "bad and total go together")
		}
		if b.bad, err = parseTemplate("bad", m.Bad); err != nil {
			return nil, settingErr(at(srcPath, "bad"), "%v", err)
		}
		if b.total, err = parseTemplate("total", m.Total); err != nil {
			return nil, settingErr(at(srcPath, "total"), "%v", err)
		}
	case m.Ratio != "":
		b.Source = "ratio"
		if b.ratio, err = parseTemplate("ratio", m.Ratio); err != nil {
			return nil, settingErr(at(srcPath, "ratio"), "%v", err)
		}
	case m.Sloth != nil:
		b.Source = "sloth"
		b.Window = "30d"
		if m.Sloth.Service == "" || m.Sloth.SLO == "" {
			return nil, settingErr(at(srcPath, "sloth"), "sloth needs service and slo (the sloth_service and sloth_slo labels)")
		}
		sel := fmt.Sprintf(`{sloth_service=%q,sloth_slo=%q}`, m.Sloth.Service, m.Sloth.SLO)
		b.ratio = template.Must(template.New("sloth").Parse("slo:sli_error:ratio_rate{{.Window}}" + escapeTemplate(sel)))
	case m.Pyrra != nil:
		b.Source = "pyrra"
		if m.Pyrra.SLO == "" || m.Pyrra.Metric == "" {
			return nil, settingErr(at(srcPath, "pyrra"), "pyrra needs slo (the SLO's name) and metric (its total metric, e.g. http_requests_total)")
		}
		base := m.Pyrra.Metric
		for _, suf := range []string{"_total", "_count", "_bucket"} {
			base = strings.TrimSuffix(base, suf)
		}
		sel := fmt.Sprintf(`{slo=%q}`, m.Pyrra.SLO)
		b.ratio = template.Must(template.New("pyrra").Parse(escapeTemplate(base) + ":burnrate{{.Window}}" + escapeTemplate(sel)))
		b.period = template.Must(template.New("pyrra-period").Parse("1 - pyrra_availability" + escapeTemplate(sel)))
	}
	if m.Window != "" {
		b.Window = m.Window
	}
	if b.WindowDur, err = promDuration(b.Window); err != nil {
		return nil, settingErr(origin["window"], "%v", err)
	}
	b.MinRemaining = Percent{0, "0%"}
	if m.MinRemaining != nil {
		b.MinRemaining = *m.MinRemaining
		if v := b.MinRemaining.Value; v < 0 || v > 100 || math.IsNaN(v) {
			return nil, settingErr(origin["min_remaining"], "%s: want 0%% to 100%%", b.MinRemaining.Text)
		}
	}
	brs := m.BurnRates
	brPath := origin["burn_rates"]
	if brs == nil {
		brs = DefaultBurnRates
	}
	for i, br := range brs {
		p := at(brPath, strconv.Itoa(i))
		ld, err := promDuration(br.Long)
		if err != nil {
			return nil, settingErr(at(p, "long"), "%v", err)
		}
		sd, err := promDuration(br.Short)
		if err != nil {
			return nil, settingErr(at(p, "short"), "%v", err)
		}
		if sd >= ld {
			return nil, settingErr(at(p, "short"), "%s is not shorter than long (%s)", br.Short, br.Long)
		}
		if br.Max <= 0 {
			return nil, settingErr(at(p, "max"), "want a burn rate more than 0, e.g. 14.4")
		}
		b.BurnRates = append(b.BurnRates, BurnRate{Long: br.Long, Short: br.Short, LongDur: ld, ShortDur: sd, Max: br.Max})
	}
	switch m.NoData {
	case "", "closed":
	case "open":
		b.NoDataOpen = true
	default:
		return nil, settingErr(origin["no_data"], "%q: want open or closed", m.NoData)
	}
	switch m.OnError {
	case "", "closed":
	case "open":
		b.OnErrorOpen = true
	default:
		return nil, settingErr(origin["on_error"], "%q: want open or closed", m.OnError)
	}
	if m.Timeout != "" {
		if b.Timeout, err = parseDuration(m.Timeout); err != nil {
			return nil, settingErr(origin["timeout"], "%v", err)
		}
	}
	return b, nil
}

// escapeTemplate quotes text for use inside a template.
func escapeTemplate(s string) string {
	return strings.NewReplacer("{{", `{{"{{"}}`, "}}", `{{"}}"}}`).Replace(s)
}
