package github

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/lockstep-dev/lockstep/report"
)

// AnnotationsPerLevel is how many annotations of each level GitHub shows
// for one step (10 errors, 10 warnings, 10 notices).
const AnnotationsPerLevel = 10

// runnerSide writes what goes to the runner rather than the API: workflow
// command annotations for the findings not posted as comments, the job
// summary and step outputs. Outside Actions it does nothing.
func (p *Publisher) runnerSide(r *report.Report, covered []bool) error {
	if !p.cfg.Actions {
		return nil
	}
	p.annotate(r.Annotations, covered)
	var err error
	if p.o.Getenv("GITHUB_STEP_SUMMARY") != "" && (r.Summary != "" || len(r.Sections) > 0) {
		err = fileCommand("the job summary", func() { p.action.AddStepSummary(report.Summary(r)) })
	}
	if p.o.Getenv("GITHUB_OUTPUT") != "" && len(r.Outputs) > 0 {
		keys := make([]string, 0, len(r.Outputs))
		for k := range r.Outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if e := fileCommand("output "+k, func() { p.action.SetOutput(k, r.Outputs[k]) }); e != nil && err == nil {
				err = e
			}
		}
	}
	return err
}

// annotate emits ::error/::warning/::notice commands, errors first, at most
// AnnotationsPerLevel per level, and one line saying how many more there are.
func (p *Publisher) annotate(anns []report.Annotation, covered []bool) {
	shown := map[report.Level]int{}
	more := 0
	for _, i := range sortByLevel(anns) {
		if covered[i] {
			continue
		}
		a := anns[i]
		lvl := a.Level
		if lvl != report.LevelError && lvl != report.LevelWarning {
			lvl = report.LevelNotice
		}
		if shown[lvl] >= AnnotationsPerLevel {
			more++
			continue
		}
		shown[lvl]++
		first, last := a.Lines()
		fields := map[string]string{"file": a.Path, "line": strconv.Itoa(first), "endLine": strconv.Itoa(last)}
		if a.Column > 0 && first == last {
			fields["col"] = strconv.Itoa(a.Column)
			if a.EndColumn >= a.Column {
				fields["endColumn"] = strconv.Itoa(a.EndColumn)
			}
		}
		title := "lockstep"
		if a.Rule != "" {
			title += " " + a.Rule
		}
		fields["title"] = title
		msg := a.Title
		if a.DocURL != "" {
			msg += "\n" + a.DocURL
		}
		act := p.action.WithFieldsMap(fields)
		switch lvl {
		case report.LevelError:
			act.Errorf("%s", msg)
		case report.LevelWarning:
			act.Warningf("%s", msg)
		default:
			act.Noticef("%s", msg)
		}
	}
	if more > 0 {
		fmt.Fprintf(p.o.Stdout, "lockstep: %s not annotated: GitHub shows %d errors, %d warnings and %d notices per step; the job summary lists all\n",
			plural(more, "more finding"), AnnotationsPerLevel, AnnotationsPerLevel, AnnotationsPerLevel)
	}
}

// fileCommand runs a go-githubactions file command, which panics when its
// file cannot be written, and returns that as an error.
func fileCommand(what string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("GitHub Actions: write %s: %v", what, r)
		}
	}()
	f()
	return nil
}
