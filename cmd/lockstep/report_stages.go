package main

// The reports of lockstep plan and lockstep migrate: the plan and migrate
// sections of the sticky comment, the lockstep/plan and lockstep/migrate
// statuses, and their outputs.

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator"
	"github.com/lockstep-dev/lockstep/migrator/plan"
	"github.com/lockstep-dev/lockstep/report"
)

// publishAfter publishes r once a command has done its work, whose error
// is runErr: a command's own failure says more than a reporting failure,
// so with runErr set a reporting failure under --report-required is printed
// and runErr returned. Reporting gets a few seconds of its own even when
// ctx was cancelled (a SIGTERM during a backfill), so the section says so.
func publishAfter(ctx context.Context, e *env, g *globals, r *report.Report, runErr error) error {
	if r == nil {
		return runErr
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reportGrace)
	defer cancel()
	err := publishReport(rctx, e, g, r)
	if runErr == nil {
		return err
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "lockstep: %s\n", redactSecrets(e, err.Error()))
	}
	return runErr
}

// reportGrace is how long reporting may take after a cancelled command.
const reportGrace = 10 * time.Second

// planReport is the plan stage's report. refused lists the lint errors
// that kept the plan from being written ("file:line: rule: message"); dir
// is the migration directory as the user named it.
func planReport(p *plan.Plan, dir string, dryRun bool, written []string, refused []string) *report.Report {
	sec := report.Section{Stage: report.StagePlan, State: report.StateSuccess}
	phases := map[lint.Phase]int{}
	for _, f := range p.Files {
		phases[f.Phase]++
	}
	var kinds []string
	for _, ph := range []lint.Phase{lint.Expand, lint.Backfill, lint.Contract} {
		if n := phases[ph]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, ph))
		}
	}
	files := reportPlural(len(p.Files), "file")
	if len(kinds) > 0 {
		files += ", " + strings.Join(kinds, ", ")
	}
	switch {
	case len(refused) > 0:
		sec.State = report.StateFailure
		sec.Summary = fmt.Sprintf("`%s`: lint finds %s in the files, nothing written", p.Command, reportPlural(len(refused), "error"))
	case dryRun:
		sec.Summary = fmt.Sprintf("`%s`: %s (dry run, not written)", p.Command, files)
	default:
		sec.Summary = fmt.Sprintf("`%s`: %s written", p.Command, files)
	}

	var b strings.Builder
	if len(refused) > 0 {
		b.WriteString("**Lint errors in the generated files:**\n\n")
		for _, s := range refused {
			fmt.Fprintf(&b, "- `%s`\n", mdCode(s))
		}
		b.WriteString("\n")
	}
	if len(p.Files) > 0 {
		b.WriteString("| # | phase | file | what it does |\n|---|---|---|---|\n")
		for i, f := range p.Files {
			fmt.Fprintf(&b, "| %d | %s | `%s` | %s |\n", i+1, f.Phase, path.Join(dir, f.Name), mdCell(f.Summary))
		}
		b.WriteString("\n")
		for _, f := range p.Files {
			fence := "```"
			for strings.Contains(f.SQL, fence) {
				fence += "`"
			}
			fmt.Fprintf(&b, "<details><summary><code>%s</code></summary>\n\n%ssql\n%s\n%s\n\n</details>\n", f.Name, fence, strings.TrimRight(f.SQL, "\n"), fence)
		}
	}
	if len(p.Before) > 0 {
		b.WriteString("\n**Before you ship it**\n\n")
		for _, s := range p.Before {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	var code strings.Builder
	for _, r := range p.Code {
		if len(r.Steps) == 0 {
			continue
		}
		fmt.Fprintf(&code, "\n_%s_\n\n", p.ReleaseName(r.Release))
		for _, s := range r.Steps {
			fmt.Fprintf(&code, "- [ ] %s\n", s)
		}
	}
	if code.Len() > 0 {
		b.WriteString("\n**App code, release by release**\n" + code.String())
	}
	if len(p.Notes) > 0 {
		b.WriteString("\n**Notes**\n\n")
		for _, s := range p.Notes {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	sec.Markdown = b.String()

	names := make([]string, len(p.Files))
	for i, f := range p.Files {
		names[i] = path.Join(dir, f.Name)
	}
	return &report.Report{
		Sections: []report.Section{sec},
		Statuses: []report.Status{{Stage: report.StagePlan, State: sec.State, Description: strings.ReplaceAll(sec.Summary, "`", "")}},
		Outputs: report.Outputs{
			"plan":    p.Command,
			"files":   strings.Join(names, " "),
			"written": strconv.FormatBool(len(written) > 0),
			"failed":  strconv.FormatBool(len(refused) > 0),
		},
	}
}

// mdCode keeps text inside an inline code span.
func mdCode(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "`", "'")
}

// migrateReport is the migrate stage's report for one phase: what ran and
// what waits (the migrator's section), the lockstep/migrate status and the
// outputs. res is nil when the run failed before it began (err says why).
func migrateReport(phase lint.Phase, release string, res *migrator.Result, err error) *report.Report {
	var sec report.Section
	out := report.Outputs{"phase": phase.String(), "release": release}
	if res == nil {
		sec = report.Section{Stage: report.StageMigrate, State: report.StateError, Summary: phase.String() + " " + release + ": " + errText(err)}
	} else {
		sec = res.Section(err)
		refused := 0
		for _, w := range res.Waiting {
			if w.Refused {
				refused++
			}
		}
		applied := len(res.Applied)
		if res.DryRun {
			applied = 0
			out["planned"] = strconv.Itoa(len(res.Planned))
		}
		out["applied"] = strconv.Itoa(applied)
		out["waiting"] = strconv.Itoa(len(res.Waiting))
		out["refused"] = strconv.Itoa(refused)
		out["pending"] = strconv.Itoa(res.Pending)
	}
	out["failed"] = strconv.FormatBool(sec.State != report.StateSuccess)
	return &report.Report{
		Sections: []report.Section{sec},
		Statuses: []report.Status{{Stage: report.StageMigrate, State: sec.State, Description: sec.Summary}},
		Outputs:  out,
	}
}
