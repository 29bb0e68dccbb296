package gates

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Result is the outcome of one check.
type Result string

const (
	ResultPass Result = "pass"
	ResultFail Result = "fail"
	// ResultNoData: a query returned nothing; the policy's no_data decides.
	ResultNoData Result = "no_data"
	// ResultError: Prometheus could not answer; the policy's on_error decides.
	ResultError Result = "error"
	// ResultSkipped: the check could not run (and does not close the gate).
	ResultSkipped Result = "skipped"
)

// Decision is whether a deploy may start now, with every check's result
// and figures, and when it would open on time-based grounds.
type Decision struct {
	Open        bool      `json:"open"`
	Environment string    `json:"environment,omitempty"`
	At          time.Time `json:"at"`
	Timezone    string    `json:"timezone"`
	Checks      []Check   `json:"checks"`
	// NextOpen is the earliest time windows, freezes and
	// finish_before_close allow a deploy, when they block it now; nil when
	// they do not (or no opening is known).
	NextOpen *time.Time `json:"next_open"`
	// OpenUntil is when the time-based gates close next, while they are open.
	OpenUntil *time.Time `json:"open_until,omitempty"`
	// Override is the override asked for, accepted or refused.
	Override *OverrideResult `json:"override,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	// ErrorOpened is set when Prometheus failed and on_error: open let the
	// deploy through.
	ErrorOpened bool `json:"opened_on_error,omitempty"`
}

// Check is one gate's verdict.
type Check struct {
	Gate   string `json:"gate"`
	Result Result `json:"result"`
	// Open says whether this check lets the deploy through: it passed, the
	// policy opens on its no data or error, it was skipped, or overridden.
	Open       bool   `json:"open"`
	Overridden bool   `json:"overridden,omitempty"`
	Summary    string `json:"summary"`
	// Details are the figures, one line each.
	Details []string `json:"details,omitempty"`
	// Until is when this time-based check changes: the window closes, the
	// freeze ends, the next freeze begins.
	Until    *time.Time    `json:"until,omitempty"`
	Budget   *BudgetReport `json:"budget,omitempty"`
	Risk     *RiskReport   `json:"risk,omitempty"`
	Estimate *Estimate     `json:"estimate,omitempty"`
}

// Estimate is how long a rollout is expected to take, part by part.
type Estimate struct {
	Duration time.Duration  `json:"-"`
	Parts    []EstimatePart `json:"parts"`
}

// MarshalJSON writes the duration in seconds, as its name says.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Duration float64        `json:"duration_seconds"`
		Parts    []EstimatePart `json:"parts"`
	}{e.Duration.Seconds(), e.Parts})
}

// EstimatePart is one part of an estimate: "canary steps", "backfill of 005".
type EstimatePart struct {
	What     string        `json:"what"`
	Duration time.Duration `json:"-"`
}

// MarshalJSON writes the duration in seconds, as its name says.
func (p EstimatePart) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		What     string  `json:"what"`
		Duration float64 `json:"duration_seconds"`
	}{p.What, p.Duration.Seconds()})
}

// Inputs is what Evaluate needs beyond the policy: the clock's reading,
// the Prometheus client, what was read from GitLab, the pending
// migrations' risk, the rollout estimate and an override request. A nil
// input for a configured check makes that check skipped or an error, as
// documented on Evaluate.
type Inputs struct {
	// Now is the instant the decision is for.
	Now      time.Time
	Metrics  Metrics
	GitLab   *GitLabFreezes
	Risk     *RiskReport
	Estimate *Estimate
	Override *OverrideRequest
	Logger   *slog.Logger
}

// Evaluate decides whether a deploy may start at in.Now under p.
//
// The error is non-nil only when Prometheus failed and the policy fails
// closed (on_error: closed): it is fault.Unavailable, and the returned
// decision, closed, says so too.
func Evaluate(ctx context.Context, p *Policy, in Inputs) (*Decision, error) {
	log := in.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := in.Now.In(p.Location)
	d := &Decision{Environment: p.Environment, At: now, Timezone: p.Location.String(), Checks: []Check{}}
	d.Warnings = append(d.Warnings, p.Warnings...)
	var scheds []schedule

	if len(p.Windows) > 0 {
		ws := &windowSchedule{loc: p.Location, windows: p.Windows}
		scheds = append(scheds, ws)
		d.Checks = append(d.Checks, windowCheck(ws, now))
	}
	if len(p.Freezes) > 0 {
		fs := &freezeSchedule{freezes: p.Freezes}
		scheds = append(scheds, fs)
		d.Checks = append(d.Checks, freezeCheck(fs, now))
	}
	if p.GitLabFreezes {
		c, s := gitlabCheck(in.GitLab, now)
		if s != nil {
			scheds = append(scheds, s)
		}
		if in.GitLab != nil && in.GitLab.Fallback {
			d.Warnings = append(d.Warnings, "GitLab freezes: no API token, so CI_DEPLOY_FREEZE decided; GitLab computes it when the pipeline is created, which may be long before this job started (set LOCKSTEP_GITLAB_TOKEN, read_api)")
		}
		if in.GitLab != nil && in.GitLab.Skipped != "" {
			d.Warnings = append(d.Warnings, "GitLab freezes not checked: "+in.GitLab.Skipped)
		}
		d.Checks = append(d.Checks, c)
	}
	var promErr error
	if p.Budget != nil {
		c, err := budgetCheck(ctx, p.Budget, in.Metrics, now)
		if err != nil && p.Budget.OnErrorOpen {
			d.ErrorOpened = true
			d.Warnings = append(d.Warnings, "error budget: "+err.Error()+"; opened because on_error: open")
		} else if err != nil {
			promErr = fault.Errorf(fault.Unavailable, "error budget: %s", err)
		}
		d.Checks = append(d.Checks, c)
	}
	if p.MaxRisk != nil {
		d.Checks = append(d.Checks, riskCheck(*p.MaxRisk, in.Risk))
	}
	var need time.Duration
	if p.FinishBeforeClose {
		c := finishCheck(scheds, in.Estimate, now, p.Location)
		if c.Result != ResultSkipped && in.Estimate != nil {
			need = in.Estimate.Duration
		}
		d.Checks = append(d.Checks, c)
	}

	timeBlocked := false
	for _, s := range scheds {
		if !s.allowed(now) {
			timeBlocked = true
		}
	}
	for _, c := range d.Checks {
		if c.Gate == GateFinishBeforeClose && !c.Open {
			timeBlocked = true
		}
	}
	if timeBlocked {
		if t, ok := nextOpen(scheds, now, need); ok {
			t = t.In(p.Location)
			d.NextOpen = &t
		}
	} else if len(scheds) > 0 {
		if t, ok := closesAt(scheds, now); ok {
			t = t.In(p.Location)
			d.OpenUntil = &t
		}
	}

	if in.Override != nil {
		d.Override = applyOverride(p, in.Override, d.Checks)
		if promErr != nil && d.Override.Accepted && contains(d.Override.Bypassed, GateErrorBudget) {
			// The override names the budget: Prometheus being down does not
			// stop an emergency deploy its owner vouches for.
			d.Warnings = append(d.Warnings, promErr.Error()+"; bypassed by the override")
			promErr = nil
		}
	}
	d.Open = true
	for _, c := range d.Checks {
		if !c.Open {
			d.Open = false
		}
	}
	if d.Override != nil && !d.Override.Accepted {
		d.Open = false
	}
	if promErr != nil {
		d.Open = false
	}
	log.Debug("gate decision", "environment", p.Environment, "open", d.Open)
	return d, promErr
}

// Closed lists the gates that keep the deploy from starting.
func (d *Decision) Closed() []string {
	var out []string
	for _, c := range d.Checks {
		if !c.Open {
			out = append(out, c.Gate)
		}
	}
	return out
}

func ptr(t time.Time) *time.Time { return &t }

func windowCheck(ws *windowSchedule, now time.Time) Check {
	c := Check{Gate: GateWindow}
	var all []string
	for _, w := range ws.windows {
		all = append(all, w.String())
	}
	list := strings.Join(all, ", ")
	if w := ws.containing(now); w != nil {
		c.Result, c.Open = ResultPass, true
		c.Summary = "inside the window " + w.String()
		if t, ok := ws.nextBlocked(now); ok {
			c.Until = ptr(t.In(ws.loc))
			c.Summary += ", closes " + when(t, ws.loc, now)
		}
		return c
	}
	c.Result = ResultFail
	c.Summary = "outside the deploy windows (" + list + ")"
	if t, ok := ws.nextAllowed(now); ok {
		c.Until = ptr(t.In(ws.loc))
		c.Details = append(c.Details, "next window opens "+when(t, ws.loc, now))
	}
	return c
}

func freezeCheck(fs *freezeSchedule, now time.Time) Check {
	c := Check{Gate: GateFreeze}
	act := fs.active(now)
	loc := now.Location()
	if len(act) == 0 {
		c.Result, c.Open = ResultPass, true
		c.Summary = "no freeze"
		if t, ok := fs.nextBlocked(now); ok {
			c.Until = ptr(t.In(loc))
			name := ""
			for i := range fs.freezes {
				if s, ok := fs.freezes[i].nextStart(now); ok && s.Equal(t) {
					name = fs.freezes[i].Name
					break
				}
			}
			c.Summary += fmt.Sprintf("; next: %s from %s", name, when(t, loc, now))
		}
		return c
	}
	c.Result = ResultFail
	var names []string
	for _, p := range act {
		names = append(names, p.Name)
		c.Details = append(c.Details, fmt.Sprintf("%s: %s – %s", p.Name, stamp(p.Start, loc), stamp(p.End, loc)))
	}
	c.Summary = "frozen: " + strings.Join(names, ", ")
	if t, ok := fs.nextAllowed(now); ok {
		c.Until = ptr(t.In(loc))
		c.Summary += " until " + when(t, loc, now)
	}
	return c
}

func gitlabCheck(in *GitLabFreezes, now time.Time) (Check, schedule) {
	c := Check{Gate: GateGitLabFreeze}
	loc := now.Location()
	switch {
	case in == nil:
		c.Result = ResultError
		c.Summary = "GitLab freeze periods were not read"
		return c, nil
	case in.Skipped != "":
		c.Result, c.Open = ResultSkipped, true
		c.Summary = "not checked: " + in.Skipped
		return c, nil
	}
	s := newGitLabSchedule(in)
	if in.Fallback {
		if s.frozen {
			c.Result = ResultFail
			c.Summary = "frozen: CI_DEPLOY_FREEZE is set (evaluated when the pipeline was created; end unknown)"
		} else {
			c.Result, c.Open = ResultPass, true
			c.Summary = "no freeze according to CI_DEPLOY_FREEZE (evaluated when the pipeline was created)"
		}
		return c, s
	}
	var frozen []string
	for i := range s.periods {
		p := &s.periods[i]
		desc := fmt.Sprintf("period %d: %q to %q (%s)", p.ID, p.FreezeStart, p.FreezeEnd, orUTC(p.CronTimezone))
		if p.err != nil {
			frozen = append(frozen, fmt.Sprintf("period %d", p.ID))
			c.Details = append(c.Details, desc+": cannot evaluate, counted as frozen: "+p.err.Error())
			continue
		}
		start, end, active := p.activeAt(now)
		if active {
			frozen = append(frozen, fmt.Sprintf("period %d", p.ID))
			c.Details = append(c.Details, fmt.Sprintf("%s: active %s – %s", desc, stamp(start, loc), stamp(end, loc)))
		} else {
			c.Details = append(c.Details, desc+": inactive")
		}
	}
	if len(frozen) == 0 {
		c.Result, c.Open = ResultPass, true
		c.Summary = fmt.Sprintf("no active GitLab freeze period (%d read)", len(s.periods))
		if t, ok := s.nextBlocked(now); ok {
			c.Until = ptr(t.In(loc))
			c.Summary += "; next from " + when(t, loc, now)
		}
		return c, s
	}
	c.Result = ResultFail
	c.Summary = "GitLab deploy freeze: " + strings.Join(frozen, ", ")
	if t, ok := s.nextAllowed(now); ok {
		c.Until = ptr(t.In(loc))
		c.Summary += " until " + when(t, loc, now)
	}
	return c, s
}

func orUTC(z string) string {
	if z == "" {
		return "UTC"
	}
	return z
}

func budgetCheck(ctx context.Context, b *Budget, m Metrics, now time.Time) (Check, error) {
	c := Check{Gate: GateErrorBudget}
	if m == nil {
		c.Result = ResultError
		c.Summary = "no Prometheus client"
		return c, fmt.Errorf("no Prometheus client")
	}
	rep, err := b.evaluate(ctx, m, now)
	c.Budget = rep
	if err != nil {
		c.Result = ResultError
		c.Summary = rep.Error
		if b.OnErrorOpen {
			c.Open = true
			c.Summary += "; opened because on_error: open"
		}
		return c, err
	}
	c.Result, c.Summary, c.Details = b.verdict(rep)
	switch c.Result {
	case ResultPass:
		c.Open = true
	case ResultNoData:
		c.Open = b.NoDataOpen
		if b.NoDataOpen {
			c.Summary += "; open because no_data: open"
		} else {
			c.Summary += "; closed because no_data: closed"
		}
	}
	return c, nil
}

func riskCheck(max Risk, r *RiskReport) Check {
	c := Check{Gate: GateMigrationRisk, Risk: r}
	if r == nil {
		c.Result = ResultError
		c.Summary = "the pending migrations are unknown"
		return c
	}
	for _, f := range r.Files {
		c.Details = append(c.Details, f.describe())
	}
	switch {
	case len(r.Files) == 0:
		c.Result, c.Open = ResultPass, true
		c.Summary = "no pending migrations (" + r.Basis + ")"
	case r.Risk <= max:
		c.Result, c.Open = ResultPass, true
		c.Summary = fmt.Sprintf("%d pending migration(s) (%s), risk %s, allowed up to %s", len(r.Files), r.Basis, r.Risk, max)
	default:
		c.Result = ResultFail
		var over []string
		for _, f := range r.Files {
			if f.Risk > max {
				over = append(over, f.Path)
			}
		}
		c.Summary = fmt.Sprintf("risk %s of %s is above the allowed %s", r.Risk, strings.Join(over, ", "), max)
	}
	return c
}

func finishCheck(scheds []schedule, est *Estimate, now time.Time, loc *time.Location) Check {
	c := Check{Gate: GateFinishBeforeClose, Estimate: est}
	if est == nil || est.Duration <= 0 {
		c.Result, c.Open = ResultSkipped, true
		c.Summary = "no rollout estimate (set gates.rollout_duration, or steps with pauses in deploy)"
		return c
	}
	for _, p := range est.Parts {
		c.Details = append(c.Details, fmt.Sprintf("%s: %s", p.What, human(p.Duration)))
	}
	for _, s := range scheds {
		if !s.allowed(now) {
			c.Result, c.Open = ResultSkipped, true
			c.Summary = fmt.Sprintf("rollout needs about %s; not asked while %s is closed", human(est.Duration), s.gate())
			return c
		}
	}
	closes, ok := closesAt(scheds, now)
	if !ok {
		c.Result, c.Open = ResultPass, true
		c.Summary = fmt.Sprintf("rollout needs about %s; nothing closes", human(est.Duration))
		return c
	}
	what := "the gate closes"
	for _, s := range scheds {
		if t, ok := s.nextBlocked(now); ok && t.Equal(closes) {
			switch s.gate() {
			case GateWindow:
				what = "the window closes"
			case GateFreeze:
				what = "a freeze begins"
			case GateGitLabFreeze:
				what = "a GitLab freeze begins"
			}
			break
		}
	}
	left := closes.Sub(now)
	c.Until = ptr(closes.In(loc))
	if left >= est.Duration {
		c.Result, c.Open = ResultPass, true
		c.Summary = fmt.Sprintf("rollout needs about %s; %s %s", human(est.Duration), what, when(closes, loc, now))
		return c
	}
	c.Result = ResultFail
	c.Summary = fmt.Sprintf("rollout needs about %s but %s %s", human(est.Duration), what, when(closes, loc, now))
	return c
}

// stamp renders an instant for people: Mon 2026-11-30 09:00 (seconds when
// not zero).
func stamp(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Second() != 0 {
		return t.Format("Mon 2006-01-02 15:04:05")
	}
	return t.Format("Mon 2006-01-02 15:04")
}

// Stamp renders t in loc with the zone's name: Mon 2026-11-30 09:00 Europe/Berlin.
func Stamp(t time.Time, loc *time.Location) string { return stamp(t, loc) + " " + loc.String() }

// when renders t relative to now: "Mon 2026-11-30 09:00 (in 2d15h)".
func when(t time.Time, loc *time.Location, now time.Time) string {
	return fmt.Sprintf("%s (in %s)", stamp(t, loc), human(t.Sub(now)))
}

// human renders a duration coarsely: 2d15h, 3h20m, 45m, 30s.
func human(d time.Duration) string {
	if d < 0 {
		return "-" + human(-d)
	}
	d = d.Round(time.Second)
	days := int(d / (24 * time.Hour))
	h := int(d % (24 * time.Hour) / time.Hour)
	m := int(d % time.Hour / time.Minute)
	s := int(d % time.Minute / time.Second)
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
	}
	if m > 0 && days == 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
	}
	if s > 0 && days == 0 && h == 0 {
		parts = append(parts, fmt.Sprintf("%ds", s))
	}
	if len(parts) == 0 {
		return "0s"
	}
	return strings.Join(parts, "")
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
