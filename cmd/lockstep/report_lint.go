package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/report"
)

// publishLint reports a lint run: review comments on the findings, the
// lint section, the lockstep/lint status and outputs. since is lint's
// --since (the base the local diff is taken against). Under
// --report-required a reporting failure is returned, except when files do
// not parse: exit 3 says more than exit 4.
func publishLint(ctx context.Context, e *env, g *globals, since string, res *lint.Result, cfg lint.Config) error {
	// The report is built only when it goes somewhere: outside CI (and
	// under --report none) lint does no reporting work at all.
	err := publish(ctx, e, g, since, func() *report.Report {
		return lintReport(res, cfg, newRepoPath(ctx, e), e)
	})
	var fe *fault.Error
	if err != nil && len(res.SyntaxErrors()) > 0 && errors.As(err, &fe) && fe.Kind == fault.Unavailable {
		fmt.Fprintf(e.stderr, "lockstep: warning: %s\n", err)
		return nil
	}
	return err
}

// lintReport converts a lint result into the neutral report.
func lintReport(res *lint.Result, cfg lint.Config, paths repoPath, e *env) *report.Report {
	min, _ := cfg.FailSeverity()
	r := &report.Report{ReviewStage: report.StageLint}
	for _, f := range res.Findings {
		r.Annotations = append(r.Annotations, lintAnnotation(f, res.Sources[f.Pos.File], paths.rel(f.Pos.File, e)))
	}
	state := report.StateSuccess
	if res.Fails(min) {
		state = report.StateFailure
	}
	summary := lintSummary(res)
	r.Sections = []report.Section{{Stage: report.StageLint, State: state, Summary: summary, Markdown: lintDetails(res, paths, e)}}
	r.Statuses = []report.Status{{Stage: report.StageLint, State: state, Description: summary}}
	r.Outputs = report.Outputs{
		"findings": strconv.Itoa(len(res.Findings)),
		"errors":   strconv.Itoa(res.Count(lint.Error)),
		"warnings": strconv.Itoa(res.Count(lint.Warning)),
		"hints":    strconv.Itoa(res.Count(lint.Hint)),
		"files":    strconv.Itoa(res.Linted()),
		"failed":   strconv.FormatBool(state == report.StateFailure),
	}
	return r
}

func lintLevel(s lint.Severity) report.Level {
	switch s {
	case lint.Error:
		return report.LevelError
	case lint.Warning:
		return report.LevelWarning
	}
	return report.LevelNotice
}

// lintAnnotation is one finding as a review comment: the lock, whom it
// breaks, the safe alternative, and the rewrite as a suggested change when
// it is one.
func lintAnnotation(f lint.Finding, src *lint.Source, path string) report.Annotation {
	a := report.Annotation{
		Path: path, Line: f.Pos.Line, EndLine: f.Pos.EndLine, Column: f.Pos.Col, EndColumn: f.Pos.EndCol,
		Level: lintLevel(f.Severity), Rule: f.Rule, Title: f.Message,
	}
	if a.Line < 1 {
		a.Line = 1
	}
	if r := lint.RuleByID(f.Rule); r != nil {
		a.DocURL = r.DocURL()
	}
	var b strings.Builder
	if f.Lock.Mode != lint.NoLock {
		fmt.Fprintf(&b, "- **Lock:** %s on `%s`, blocking %s%s\n", f.Lock.Mode, f.Lock.Relation, f.Lock.Mode.Blocks(), lintCostPhrase(f.Cost))
	}
	if f.Held != "" {
		fmt.Fprintf(&b, "- **Held:** %s, until the file commits\n", f.Held)
	}
	if f.Breaks != lint.BreaksNone {
		fmt.Fprintf(&b, "- **Breaks:** %s\n", f.Breaks.Describe())
	}
	if src != nil && f.Suggestion != "" && oneStatement(f.Suggestion) {
		a.Suggestion = wholeLines(src, f)
	}
	if f.Fix != "" && (a.Suggestion == "" || strings.TrimSpace(f.Fix) != strings.TrimSpace(f.Suggestion)) {
		fmt.Fprintf(&b, "\n**Safe alternative:**\n```sql\n%s\n```\n", strings.TrimRight(f.Fix, "\n"))
	}
	a.Body = b.String()
	return a
}

// oneStatement reports whether a rewrite is one SQL statement: only those
// become suggested changes a reviewer commits with one click. A rewrite
// that adds statements (a SET before the statement, expand and contract
// steps) is shown as the safe alternative instead.
func oneStatement(sql string) bool {
	f := lint.Parse(lint.NewSource("", sql))
	return f.Err == nil && len(f.Statements) == 1
}

func lintCostPhrase(c lint.Cost) string {
	switch c {
	case lint.Scan:
		return " while it scans the whole table"
	case lint.Rewrite:
		return " while it rewrites the whole table"
	}
	return ""
}

// wholeLines turns a finding's Suggestion (a replacement of the statement's
// text, or of its whole lines) into a replacement of lines Line..EndLine,
// which is what a suggested change replaces: the text before the statement
// on its first line and after it on its last are kept, and a semicolon is
// not doubled.
func wholeLines(src *lint.Source, f lint.Finding) string {
	first, last := f.Pos.Line, max(f.Pos.EndLine, f.Pos.Line)
	var orig []string
	for n := first; n <= last; n++ {
		orig = append(orig, src.LineText(n))
	}
	lines := strings.Join(orig, "\n")
	sug := strings.TrimRight(f.Suggestion, "\n")
	if strings.HasSuffix(sug, lines) || strings.HasPrefix(sug, lines) {
		return sug // already whole lines
	}
	head := []rune(orig[0])
	tail := []rune(orig[len(orig)-1])
	prefix, suffix := "", ""
	if c := f.Pos.Col - 1; c > 0 && c <= len(head) {
		prefix = string(head[:c])
	}
	if c := f.Pos.EndCol; c > 0 && c <= len(tail) {
		suffix = string(tail[c:])
	}
	if strings.HasSuffix(sug, ";") && strings.HasPrefix(strings.TrimLeft(suffix, " \t"), ";") {
		suffix = strings.TrimPrefix(strings.TrimLeft(suffix, " \t"), ";")
	}
	if strings.TrimSpace(prefix) == "" {
		// indent every line of the rewrite like the statement
		sug = strings.ReplaceAll(sug, "\n", "\n"+prefix)
	}
	return prefix + sug + suffix
}

func lintSummary(res *lint.Result) string {
	e, w, h := res.Count(lint.Error), res.Count(lint.Warning), res.Count(lint.Hint)
	files := reportPlural(res.Linted(), "file")
	if e+w+h == 0 {
		return "no findings in " + files
	}
	var parts []string
	for _, c := range []struct {
		n    int
		word string
	}{{e, "error"}, {w, "warning"}, {h, "hint"}} {
		if c.n > 0 {
			parts = append(parts, reportPlural(c.n, c.word))
		}
	}
	return strings.Join(parts, ", ") + " in " + files
}

func reportPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// lintDetails is the folded part of the lint section: one table row per
// finding, then the safe alternatives.
func lintDetails(res *lint.Result, paths repoPath, e *env) string {
	if len(res.Findings) == 0 {
		var names []string
		for _, f := range res.Files {
			if f.Linted {
				names = append(names, "`"+paths.rel(f.Path, e)+"`")
			}
		}
		if len(names) == 0 {
			return ""
		}
		return "Linted " + strings.Join(names, ", ") + "."
	}
	var b strings.Builder
	b.WriteString("| | where | rule | lock | breaks | finding |\n|---|---|---|---|---|---|\n")
	for _, f := range res.Findings {
		lock := ""
		if f.Lock.Mode != lint.NoLock {
			lock = fmt.Sprintf("%s on `%s`", f.Lock.Mode, f.Lock.Relation)
		}
		breaks := string(f.Breaks)
		fmt.Fprintf(&b, "| %s | `%s:%d` | [`%s`](%s) | %s | %s | %s |\n", lintLevel(f.Severity).Icon(), paths.rel(f.Pos.File, e), f.Pos.Line,
			f.Rule, ruleDocURL(f.Rule), lock, breaks, mdCell(f.Message))
	}
	fixes := 0
	for _, f := range res.Findings {
		if f.Fix == "" {
			continue
		}
		if fixes == 0 {
			b.WriteString("\n**Safe alternatives**\n")
		}
		fixes++
		fmt.Fprintf(&b, "\n`%s:%d` `%s`:\n```sql\n%s\n```\n", paths.rel(f.Pos.File, e), f.Pos.Line, f.Rule, strings.TrimRight(f.Fix, "\n"))
	}
	return b.String()
}

func ruleDocURL(rule string) string {
	if r := lint.RuleByID(rule); r != nil {
		return r.DocURL()
	}
	return lint.DocsBaseURL
}

// cell makes text safe inside a markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}
