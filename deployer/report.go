package deployer

import (
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/report"
)

// Section renders the rollout for the sticky comment and the job summary.
func (res *Result) Section() report.Section {
	sec := report.Section{Stage: report.StageRollout}
	switch res.Outcome {
	case Promoted, AlreadyDeployed:
		sec.State = report.StateSuccess
	case Interrupted:
		sec.State = report.StateError
	default:
		sec.State = report.StateFailure
	}
	sec.Summary = res.summary()
	sec.Markdown = res.Markdown()
	return sec
}

func (res *Result) summary() string {
	took := res.Finished.Sub(res.Started).Round(100 * time.Millisecond)
	switch res.Outcome {
	case Promoted:
		return fmt.Sprintf("%s promoted to %s: %s through %d steps in %s", res.Release, res.Environment, res.Strategy, len(res.Plan), took)
	case AlreadyDeployed:
		return fmt.Sprintf("%s already deployed to %s", res.Release, res.Environment)
	case RolledBack:
		return fmt.Sprintf("%s rolled back to %s at step %d: %s", res.Release, stableName(res.Stable), res.Step, res.shortReason())
	case Paused:
		return fmt.Sprintf("%s paused at step %d, traffic split, paged: %s", res.Release, res.Step, res.shortReason())
	case Interrupted:
		return fmt.Sprintf("%s interrupted at step %d, traffic back on %s", res.Release, res.Step, stableName(res.Stable))
	}
	return res.Reason
}

func (res *Result) shortReason() string {
	if v := res.Verdict; v != nil {
		return fmt.Sprintf("%s %s", v.Metric, v.Last.Reason)
	}
	return res.Reason
}

// Markdown is the rollout's detail: safety, steps and every measurement.
func (res *Result) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** of `%s` (stable `%s`) to **%s** via %s.\n\n", res.Strategy, res.Release, stableName(res.Stable), res.Environment, res.Provider)
	fmt.Fprintf(&b, "**Rollback safety:** %s\n\n", mdEscape(res.Safety.Summary))
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "> %s\n\n", mdEscape(n))
	}
	if res.Reason != "" && res.Outcome != Promoted {
		fmt.Fprintf(&b, "**%s:** %s\n\n", res.Outcome, mdEscape(res.Reason))
	}
	if len(res.Steps) > 0 {
		b.WriteString("| step | traffic | metric | phase | value | baseline | reason |\n|---|---|---|---|---|---|---|\n")
		for _, st := range res.Steps {
			if len(st.Measurements) == 0 {
				fmt.Fprintf(&b, "| %d | %s | | | | | no metrics |\n", st.Index, st.Step)
			}
			for _, m := range st.Measurements {
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n", st.Index, st.Step, m.Metric, phaseMark(m.Phase), optNum(m.Value), optNum(m.Baseline), mdEscape(m.Reason))
			}
		}
		b.WriteString("\n")
	}
	if res.RollbackTook > 0 {
		fmt.Fprintf(&b, "Traffic back on `%s` %s after the rollback began.\n", stableName(res.Stable), res.RollbackTook.Round(time.Millisecond))
	}
	return b.String()
}

// Payload is lockstep's data for a deployment record.
func (res *Result) Payload() map[string]any {
	return map[string]any{
		"release":         res.Release,
		"stable":          res.Stable,
		"strategy":        string(res.Strategy),
		"outcome":         string(res.Outcome),
		"rollback_safety": res.Safety,
		"rollout":         res.RolloutID,
	}
}

func phaseMark(p Phase) string {
	switch p {
	case Successful:
		return "✅ successful"
	case Failed:
		return "❌ failed"
	case Inconclusive:
		return "❔ inconclusive"
	}
	return "⚠️ error"
}

func optNum(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmtNum(*v)
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
