package migrator

import (
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/report"
)

// Section is the migrate stage's part of the pull/merge request comment:
// what ran in this phase and what waits. err is the command's error.
func (r *Result) Section(err error) report.Section {
	s := report.Section{Stage: report.StageMigrate, State: report.StateSuccess}
	var b strings.Builder
	if len(r.Applied) > 0 || len(r.Planned) > 0 || len(r.Waiting) > 0 {
		b.WriteString("| migration | phase | result |\n|---|---|---|\n")
	}
	for _, a := range r.Applied {
		res := "applied in " + a.Duration.Round(time.Millisecond).String()
		if a.Migration.Batch != nil {
			res += fmt.Sprintf(", %s rows", grouped(a.Rows))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", a.Migration.Label, a.Migration.Phase, res)
	}
	for _, p := range r.Planned {
		fmt.Fprintf(&b, "| `%s` | %s | would apply (dry run) |\n", p.Label, p.Phase)
	}
	refused := 0
	for _, w := range r.Waiting {
		mark := "waits"
		if w.Refused {
			mark, refused = "**refused**", refused+1
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s: %s |\n", w.Migration.Label, w.Migration.Phase, mark, strings.TrimPrefix(w.Reason, w.Migration.Label+" "))
	}
	s.Summary = fmt.Sprintf("%s %s: %d applied, %d waiting", r.Phase, r.Release, len(r.Applied), len(r.Waiting))
	if r.DryRun {
		s.Summary = fmt.Sprintf("%s %s (dry run): %d would apply, %d waiting", r.Phase, r.Release, len(r.Planned), len(r.Waiting))
	}
	switch {
	case err != nil && refused > 0:
		s.State = report.StateFailure
		s.Summary += fmt.Sprintf(", %d refused", refused)
	case err != nil:
		s.State = report.StateError
		s.Summary += ": " + err.Error()
	}
	s.Markdown = b.String()
	return s
}
