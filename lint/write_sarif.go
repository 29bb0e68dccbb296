package lint

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// writeSARIF writes SARIF 2.1.0 for GitHub code scanning (and any other
// SARIF consumer): one run whose driver lists the rules that have results,
// with their summary, reference text and page; one result per finding with
// its region (end column exclusive, as SARIF counts), a partial fingerprint
// that survives line shifts, the lock/breaks/fix in its properties, and a
// fix when the finding has a one-statement suggestion.
func writeSARIF(w io.Writer, res *Result, o WriteOptions) error {
	rules := ruleIndex()
	version := o.Version
	if version == "" {
		version = "dev"
	}
	driver := sarif.NewToolComponent().
		WithName(ToolName).
		WithFullName("lockstep lint: zero-downtime PostgreSQL migration linter").
		WithInformationURI(ToolURL).
		WithVersion(version)
	run := sarif.NewRun().WithTool(sarif.NewTool().WithDriver(driver)).WithColumnKind("unicodeCodePoints")

	// The rules that have results, in id order; results point at them by index.
	var ids []string
	index := map[string]int{}
	for _, f := range res.Findings {
		if _, ok := index[f.Rule]; !ok {
			index[f.Rule] = 0
			ids = append(ids, f.Rule)
		}
	}
	sort.Strings(ids)
	for i, id := range ids {
		index[id] = i
		driver.Rules = append(driver.Rules, sarifRule(ruleFor(rules, id)))
	}

	prints := fingerprints(res)
	for i, f := range res.Findings {
		run.Results = append(run.Results, sarifResult(res, f, index[f.Rule], prints[i]))
	}
	report := sarif.NewReport().AddRun(run)
	var buf bytes.Buffer
	if err := report.Write(&buf); err != nil {
		return err
	}
	return writeCompactJSON(w, buf.Bytes())
}

func sarifRule(r *Rule) *sarif.ReportingDescriptor {
	doc := strings.TrimSpace(r.Doc)
	help := doc + "\n\nReference: " + r.DocURL()
	markdown := "**" + r.Summary + "**\n\n" + reflow(doc) + "\n\n[" + r.ID + " reference](" + r.DocURL() + ")"
	props := sarif.NewPropertyBag()
	props.Tags = []string{"postgresql", "migrations", "zero-downtime"}
	props.Add("precision", "high")
	props.Add("problem.severity", sarifLevel(r.Severity))
	d := sarif.NewRule(r.ID).
		WithName(ruleName(r.ID)).
		WithShortDescription(sarif.NewMultiformatMessageString().WithText(r.Summary)).
		WithFullDescription(sarif.NewMultiformatMessageString().WithText(oneParagraph(doc))).
		WithHelp(sarif.NewMultiformatMessageString().WithText(help).WithMarkdown(markdown)).
		WithHelpURI(r.DocURL()).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(r.Severity))).
		WithProperties(props)
	return d
}

func sarifResult(res *Result, f Finding, ruleIdx int, print string) *sarif.Result {
	uri := sarifURI(f.Pos.File)
	region := sarif.NewRegion().
		WithStartLine(f.Pos.Line).WithStartColumn(f.Pos.Col).
		WithEndLine(f.Pos.EndLine).WithEndColumn(f.Pos.EndCol + 1)
	loc := sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri)).
		WithRegion(region))
	text := f.Message
	if d := details(f); d != "" {
		text += "\n" + d
	}
	r := sarif.NewRuleResult(f.Rule).
		WithRuleIndex(ruleIdx).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(text)).
		WithLocations([]*sarif.Location{loc}).
		WithPartialFingerprints(map[string]string{"lockstep/v1": print})
	props := sarif.NewPropertyBag()
	props.Add("statementIndex", f.Statement)
	if f.Lock.Mode != NoLock {
		props.Add("lock", f.Lock.Mode.String())
		props.Add("relation", f.Lock.Relation)
	}
	if f.Cost != Instant {
		props.Add("rewrite", string(f.Cost))
	}
	if f.Breaks != BreaksNone {
		props.Add("breaks", string(f.Breaks))
	}
	if f.Fix != "" {
		props.Add("fix", f.Fix)
	}
	if f.Held != "" {
		props.Add("held", f.Held)
	}
	r.WithProperties(props)
	if src := res.Sources[f.Pos.File]; src != nil && f.Suggestion != "" {
		// The suggestion replaces the statement's whole lines.
		deleted := sarif.NewRegion().
			WithStartLine(f.Pos.Line).WithStartColumn(1).
			WithEndLine(f.Pos.EndLine).WithEndColumn(lineChars(src, f.Pos.EndLine) + 1)
		change := sarif.NewArtifactChange().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri)).
			WithReplacements([]*sarif.Replacement{sarif.NewReplacement().
				WithDeletedRegion(deleted).
				WithInsertedContent(sarif.NewArtifactContent().WithText(strings.TrimRight(f.Suggestion, "\n")))})
		r.WithFixes([]*sarif.Fix{sarif.NewFix().
			WithDescription(sarif.NewTextMessage("Replace the statement with the safe form")).
			WithArtifactChanges([]*sarif.ArtifactChange{change})})
	}
	return r
}

// sarifLevel is SARIF's level of a severity, and GCC's word for it (a
// hint is a note to both).
func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// sarifURI is a relative URI reference for a path (spaces and the like
// percent-encoded).
func sarifURI(p string) string {
	return (&url.URL{Path: slashPath(p)}).String()
}

// ruleName is the PascalCase name SARIF viewers show: create-index-x →
// CreateIndexX.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// oneParagraph joins a rule doc's lines into one paragraph per blank line.
func oneParagraph(doc string) string { return reflow(doc) }

// reflow joins hard-wrapped lines; blank lines still separate paragraphs.
func reflow(doc string) string {
	paras := strings.Split(strings.ReplaceAll(doc, "\r\n", "\n"), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}

// writeCompactJSON re-encodes a JSON document indented, without the empty
// arrays and the spec's default values (-1 offsets, ranks and indexes) that go-sarif
// fills in: the same SARIF, one that a person can read. "results" stays
// even when empty: an empty array says the tool ran and found nothing.
func writeCompactJSON(w io.Writer, raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	v = prune(v, "")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

var sarifDefaults = map[string]string{"byteOffset": "-1", "charOffset": "-1", "rank": "-1", "index": "-1", "id": "-1"}

func prune(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			e = prune(e, k)
			switch x := e.(type) {
			case []any:
				if len(x) == 0 && k != "results" {
					delete(t, k)
					continue
				}
			case map[string]any:
				if len(x) == 0 {
					delete(t, k)
					continue
				}
			case json.Number:
				if d, ok := sarifDefaults[k]; ok && string(x) == d {
					delete(t, k)
					continue
				}
			}
			t[k] = e
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = prune(e, key)
		}
		return t
	}
	return v
}
