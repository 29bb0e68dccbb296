package gates

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lockstep-dev/lockstep/report"
)

// WriteText writes the decision for people: the verdict, each check with
// its figures, and when closed the next opening.
func WriteText(w io.Writer, d *Decision) error {
	loc := d.At.Location()
	verdict := "OPEN"
	if !d.Open {
		verdict = "CLOSED"
	}
	env := ""
	if d.Environment != "" {
		env = " for " + d.Environment
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gate%s: %s at %s\n", env, verdict, Stamp(d.At, loc))
	if d.ErrorOpened {
		b.WriteString("opened on error: Prometheus failed and error_budget.on_error is open\n")
	}
	if len(d.Checks) == 0 {
		b.WriteString("  no gates configured (gates: in lockstep.yaml)\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range d.Checks {
		state := "open"
		switch {
		case c.Overridden:
			state = "overridden"
		case !c.Open:
			state = "closed"
		}
		res := string(c.Result)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Gate, state, res, c.Summary)
	}
	tw.Flush()
	for _, c := range d.Checks {
		if len(c.Details) == 0 && c.Budget == nil {
			continue
		}
		fmt.Fprintf(&b, "\n  %s:\n", c.Gate)
		for _, line := range c.Details {
			fmt.Fprintf(&b, "    %s\n", line)
		}
		if c.Budget != nil && len(c.Budget.Queries) > 0 {
			fmt.Fprintf(&b, "    PromQL at %s:\n", c.Budget.At.Format(time.RFC3339))
			for _, q := range c.Budget.Queries {
				fmt.Fprintf(&b, "      %s = %s\n", q.PromQL, q.valueText())
			}
		}
	}
	if o := d.Override; o != nil {
		b.WriteString("\n")
		if o.Accepted {
			fmt.Fprintf(&b, "override by %s accepted: %q; bypasses %s", o.Actor, o.Reason, strings.Join(o.Gates, ", "))
			if len(o.Bypassed) > 0 {
				fmt.Fprintf(&b, " (closed and bypassed: %s)", strings.Join(o.Bypassed, ", "))
			} else {
				b.WriteString(" (none of them was closed)")
			}
			b.WriteString("\n")
			if len(o.StillClosed) > 0 {
				fmt.Fprintf(&b, "still closed by gates the override does not name: %s\n", strings.Join(o.StillClosed, ", "))
			}
		} else {
			fmt.Fprintf(&b, "override refused: %s\n", o.Refused)
		}
	}
	for _, wn := range d.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wn)
	}
	switch {
	case d.NextOpen != nil && !d.Open:
		fmt.Fprintf(&b, "\nnext window: %s (in %s)\n", Stamp(*d.NextOpen, loc), human(d.NextOpen.Sub(d.At)))
		if rest := nonTimeClosed(d); len(rest) > 0 {
			fmt.Fprintf(&b, "  then still subject to %s\n", strings.Join(rest, ", "))
		}
	case !d.Open && len(nonTimeClosed(d)) > 0 && d.NextOpen == nil && !timeClosed(d):
		fmt.Fprintf(&b, "\nno time-based opening: closed by %s\n", strings.Join(nonTimeClosed(d), ", "))
	case d.Open && d.OpenUntil != nil:
		fmt.Fprintf(&b, "\nopen until %s (in %s)\n", Stamp(*d.OpenUntil, loc), human(d.OpenUntil.Sub(d.At)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// valueText is the query's value, "no data", or why it has none.
func (q Query) valueText() string {
	switch {
	case q.Error == notAnswered:
		return q.Error
	case q.Error != "":
		return "error: " + q.Error
	case q.Value == nil:
		return "no data"
	}
	return fmt.Sprintf("%g", *q.Value)
}

func isTimeGate(g string) bool {
	switch g {
	case GateWindow, GateFreeze, GateGitLabFreeze, GateFinishBeforeClose:
		return true
	}
	return false
}

func timeClosed(d *Decision) bool {
	for _, c := range d.Checks {
		if !c.Open && isTimeGate(c.Gate) {
			return true
		}
	}
	return false
}

func nonTimeClosed(d *Decision) []string {
	var out []string
	for _, c := range d.Checks {
		if !c.Open && !isTimeGate(c.Gate) {
			out = append(out, c.Gate)
		}
	}
	return out
}

// WriteJSON writes the decision as one JSON document. Times are RFC 3339
// with the policy zone's offset.
func WriteJSON(w io.Writer, d *Decision) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// Headline is the decision in one line: "open", "closed by window, freeze;
// next window Mon 2026-11-30 09:00 Europe/Berlin".
func (d *Decision) Headline() string {
	loc := d.At.Location()
	if d.Open {
		s := "open"
		if d.Override != nil && d.Override.Accepted && len(d.Override.Bypassed) > 0 {
			s += fmt.Sprintf(" by override of %s (%s: %s)", strings.Join(d.Override.Bypassed, ", "), d.Override.Actor, d.Override.Reason)
		}
		if d.ErrorOpened {
			s += " on error"
		}
		return s
	}
	var s string
	if cl := d.Closed(); len(cl) > 0 {
		s = "closed by " + strings.Join(cl, ", ")
	} else {
		s = "closed"
	}
	if d.Override != nil && !d.Override.Accepted {
		s += "; override refused: " + d.Override.Refused
	}
	if d.NextOpen != nil {
		s += "; next window " + Stamp(*d.NextOpen, loc)
	}
	return s
}

// Report turns the decision into the reporting package's neutral model:
// the gate section of the sticky comment, the lockstep/gate status and the
// job's outputs.
func (d *Decision) Report() *report.Report {
	state := report.StateSuccess
	if !d.Open {
		state = report.StateFailure
		for _, c := range d.Checks {
			if c.Result == ResultError && !c.Open {
				state = report.StateError
			}
		}
	}
	var md strings.Builder
	md.WriteString("| gate | state | |\n|---|---|---|\n")
	for _, c := range d.Checks {
		st := "open"
		switch {
		case c.Overridden:
			st = "overridden"
		case !c.Open:
			st = "**closed**"
		}
		fmt.Fprintf(&md, "| %s | %s | %s |\n", c.Gate, st, mdCell(c.Summary))
	}
	for _, c := range d.Checks {
		if len(c.Details) == 0 && (c.Budget == nil || len(c.Budget.Queries) == 0) {
			continue
		}
		fmt.Fprintf(&md, "\n**%s**\n\n", c.Gate)
		for _, line := range c.Details {
			fmt.Fprintf(&md, "- %s\n", line)
		}
		if c.Budget != nil && len(c.Budget.Queries) > 0 {
			fmt.Fprintf(&md, "\n```promql\n# at %s\n", c.Budget.At.Format(time.RFC3339))
			for _, q := range c.Budget.Queries {
				fmt.Fprintf(&md, "%s  # = %s\n", q.PromQL, q.valueText())
			}
			md.WriteString("```\n")
		}
	}
	if o := d.Override; o != nil {
		if o.Accepted {
			fmt.Fprintf(&md, "\n> **Override** by @%s: %s (bypasses %s)\n", o.Actor, mdCell(o.Reason), strings.Join(o.Gates, ", "))
		} else {
			fmt.Fprintf(&md, "\n> Override by %s **refused**: %s\n", o.Actor, mdCell(o.Refused))
		}
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(&md, "\n> warning: %s\n", mdCell(w))
	}
	gate := "open"
	if !d.Open {
		gate = "closed"
	}
	outputs := report.Outputs{"gate": gate, "open": fmt.Sprint(d.Open), "closed_by": strings.Join(d.Closed(), ",")}
	if d.NextOpen != nil {
		outputs["next_open"] = d.NextOpen.Format(time.RFC3339)
	}
	if d.Override != nil && d.Override.Accepted {
		outputs["overridden"] = strings.Join(d.Override.Bypassed, ",")
	}
	desc := d.Headline()
	if len(desc) > 140 {
		desc = desc[:137] + "..."
	}
	return &report.Report{
		Sections: []report.Section{{Stage: report.StageGate, State: state, Summary: d.Headline(), Markdown: md.String()}},
		Statuses: []report.Status{{Stage: report.StageGate, State: state, Description: desc}},
		Outputs:  outputs,
	}
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
