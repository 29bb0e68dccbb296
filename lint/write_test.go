package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// goldenDir is a small golang-migrate history that exercises several rules,
// a syntax error, a finding inside a DO block, a suggestion and a
// non-ASCII identifier (character versus byte columns).
const goldenDir = "testdata/golden/migrations"

func lintDir(t *testing.T, dir string, shift map[string]string) *Result {
	t.Helper()
	ms, err := Discover(DirFS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []Input
	for _, m := range ms {
		b, err := os.ReadFile(m.Path)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, Input{Path: m.Path, Text: shift[filepath.Base(m.Path)] + string(b)})
	}
	l, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Lint(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func render(t *testing.T, format string, res *Result, o WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, res, o); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.Bytes()
}

// TestWriteGolden renders the golden history in every format and compares
// with testdata/golden/<format>.golden (go test ./lint -run TestWriteGolden
// -update rewrites them: review the diff as code).
func TestWriteGolden(t *testing.T) {
	res := lintDir(t, goldenDir, nil)
	// The input must keep exercising what the writers have to handle.
	var rules []string
	var syntax, nested, suggestion, unicode bool
	for _, f := range res.Findings {
		rules = append(rules, f.Rule)
		syntax = syntax || f.Rule == RuleSyntaxError
		nested = nested || strings.Contains(f.Message, "inside the DO block")
		suggestion = suggestion || f.Suggestion != ""
		unicode = unicode || strings.Contains(spanText(res.Sources[f.Pos.File], f.Pos), "ï")
	}
	if len(uniq(rules)) < 4 || !syntax || !nested || !suggestion || !unicode {
		t.Fatalf("golden input no longer exercises the writers: rules %v, syntax error %v, DO block %v, suggestion %v, non-ASCII span %v",
			uniq(rules), syntax, nested, suggestion, unicode)
	}
	cases := []struct {
		name, format string
		opts         WriteOptions
	}{
		{"text", "text", WriteOptions{}},
		{"text-color", "text", WriteOptions{Color: true}},
		{"json", "json", WriteOptions{}},
		{"sarif", "sarif", WriteOptions{Version: "1.2.3"}},
		{"github", "github", WriteOptions{}},
		{"gitlab", "gitlab", WriteOptions{}},
		{"rdjson", "rdjson", WriteOptions{Version: "1.2.3"}},
		{"gcc", "gcc", WriteOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.format, res, c.opts)
			golden := filepath.Join("testdata", "golden", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("%s output differs from %s (-want +got; -update rewrites):\n%s", c.format, golden, d)
			}
			// Every run renders the same bytes.
			if again := render(t, c.format, res, c.opts); !bytes.Equal(again, got) {
				t.Errorf("%s output is not deterministic", c.format)
			}
		})
	}
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// TestSARIFSchema validates the SARIF against the 2.1.0 schema and checks
// what GitHub code scanning reads.
func TestSARIFSchema(t *testing.T) {
	res := lintDir(t, goldenDir, nil)
	out := render(t, "sarif", res, WriteOptions{Version: "1.2.3"})
	rep, err := sarif.FromBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	if len(rep.Runs) != 1 {
		t.Fatalf("runs = %d; want 1", len(rep.Runs))
	}
	run := rep.Runs[0]
	if len(run.Results) != len(res.Findings) {
		t.Fatalf("results = %d; want %d", len(run.Results), len(res.Findings))
	}
	for _, r := range run.Tool.Driver.Rules {
		rule := RuleByID(*r.ID)
		if rule == nil {
			t.Fatalf("driver lists unknown rule %q", *r.ID)
		}
		if r.HelpURI == nil || *r.HelpURI != rule.DocURL() || r.Help == nil || r.Help.Text == nil ||
			r.ShortDescription == nil || r.FullDescription == nil {
			t.Errorf("rule %s lacks help, helpUri or descriptions", *r.ID)
		}
	}
	fixes := 0
	for i, r := range run.Results {
		f := res.Findings[i]
		if got := *run.Tool.Driver.Rules[r.RuleIndex].ID; got != f.Rule {
			t.Errorf("result %d: ruleIndex points at %s; want %s", i, got, f.Rule)
		}
		reg := r.Locations[0].PhysicalLocation.Region
		if *reg.StartLine != f.Pos.Line || *reg.StartColumn != f.Pos.Col || *reg.EndLine != f.Pos.EndLine || *reg.EndColumn != f.Pos.EndCol+1 {
			t.Errorf("result %d: region %d:%d-%d:%d; want %v with an exclusive end column", i, *reg.StartLine, *reg.StartColumn, *reg.EndLine, *reg.EndColumn, f.Pos)
		}
		if r.PartialFingerprints["lockstep/v1"] == "" {
			t.Errorf("result %d: no partial fingerprint", i)
		}
		if (len(r.Fixes) > 0) != (f.Suggestion != "") {
			t.Errorf("result %d (%s): %d fixes, suggestion %q", i, f.Rule, len(r.Fixes), f.Suggestion)
		}
		fixes += len(r.Fixes)
	}
	if fixes == 0 {
		t.Error("no result carries a fix")
	}
}

// TestFingerprintsSurviveLineShifts: adding lines above a statement keeps
// its fingerprint in SARIF and GitLab; changing the statement does not.
func TestFingerprintsSurviveLineShifts(t *testing.T) {
	base := lintDir(t, goldenDir, nil)
	shifted := lintDir(t, goldenDir, map[string]string{
		"002_index_email.up.sql":    "-- a comment\n\n",
		"003_widen_and_drop.up.sql": "-- moved down\n-- by three\n\n",
	})
	a, b := fingerprints(base), fingerprints(shifted)
	if len(a) != len(b) {
		t.Fatalf("%d findings before the shift, %d after", len(a), len(b))
	}
	for i := range a {
		if base.Findings[i].Pos.Line == shifted.Findings[i].Pos.Line && strings.Contains(base.Findings[i].Pos.File, "00[23]") {
			t.Fatalf("the shift moved nothing")
		}
		if a[i] != b[i] {
			t.Errorf("%s %s: fingerprint changed when lines moved: %s -> %s", base.Findings[i].Pos, base.Findings[i].Rule, a[i], b[i])
		}
	}
	seen := map[string]string{}
	for i, p := range a {
		if prev, ok := seen[p]; ok {
			t.Errorf("two findings share fingerprint %s: %s and %s", p, prev, base.Findings[i].Pos)
		}
		seen[p] = base.Findings[i].Pos.String()
	}
	// The GitLab report carries the same fingerprints.
	var issues []gitlabIssue
	if err := json.Unmarshal(render(t, "gitlab", shifted, WriteOptions{}), &issues); err != nil {
		t.Fatal(err)
	}
	for i, is := range issues {
		if is.Fingerprint != a[i] {
			t.Errorf("gitlab issue %d: fingerprint %s; want %s", i, is.Fingerprint, a[i])
		}
	}
	// Two identical statements in one file get different fingerprints, and
	// editing a statement changes its fingerprint.
	twice := &Result{Sources: map[string]*Source{}}
	src := NewSource("x.sql", "UPDATE t SET a = 1;\nUPDATE t SET a = 1;\nUPDATE t SET a = 2;\n")
	twice.Sources["x.sql"] = src
	for line := 1; line <= 3; line++ {
		twice.Findings = append(twice.Findings, Finding{Rule: "unbatched-backfill", Severity: Error,
			Pos: Pos{"x.sql", line, 1, line, 18}})
	}
	fp := fingerprints(twice)
	if fp[0] == fp[1] || fp[1] == fp[2] || fp[0] == fp[2] {
		t.Errorf("fingerprints of two identical and one edited statement: %v", fp)
	}
}

func TestGitHubEscapingAndCaps(t *testing.T) {
	res := &Result{}
	add := func(sev Severity, file, msg string) {
		n := len(res.Findings) + 1
		res.Findings = append(res.Findings, Finding{Rule: "drop-column", Severity: sev, Message: msg,
			Pos: Pos{File: file, Line: n, Col: 2, EndLine: n, EndCol: 9}})
	}
	add(Error, "db/a,b:c.sql", "100% of rows\r\nrewritten")
	for i := 0; i < 12; i++ {
		add(Error, "m.sql", fmt.Sprintf("error %d", i))
	}
	add(Warning, "m.sql", "a warning")
	for i := 0; i < 10; i++ {
		add(Hint, "m.sql", fmt.Sprintf("hint %d", i))
	}
	out := string(render(t, "github", res, WriteOptions{}))
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	first := "::error col=2,endColumn=9,endLine=1,file=db/a%2Cb%3Ac.sql,line=1,title=lockstep drop-column::100%25 of rows%0D%0Arewritten%0ADocs: " + RuleByID("drop-column").DocURL()
	if lines[0] != first {
		t.Errorf("first line = %q\nwant         %q", lines[0], first)
	}
	count := func(prefix string) int {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				n++
			}
		}
		return n
	}
	if n := count("::error "); n != GitHubAnnotationsPerKind {
		t.Errorf("%d ::error commands; want %d", n, GitHubAnnotationsPerKind)
	}
	if n := count("::warning "); n != 1 {
		t.Errorf("%d ::warning commands; want 1", n)
	}
	// Nine hints and the summary notice: ten notices, GitHub's cap.
	if n := count("::notice "); n != GitHubAnnotationsPerKind {
		t.Errorf("%d ::notice commands; want %d", n, GitHubAnnotationsPerKind)
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "::notice title=lockstep%3A more findings than annotations::4 findings not shown") {
		t.Errorf("last line = %q; want the overflow notice", last)
	}
	for _, want := range []string{"m.sql:13:2: error drop-column: error 11", "m.sql:24:2: hint drop-column: hint 9"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("overflow finding %q not in the log", want)
		}
	}
	// Without overflow there is no summary, and a span over several lines
	// has no columns.
	small := &Result{Findings: []Finding{{Rule: "drop-column", Severity: Hint, Message: "m", Pos: Pos{"m.sql", 3, 4, 5, 6}}}}
	got := string(render(t, "github", small, WriteOptions{}))
	if want := "::notice endLine=5,file=m.sql,line=3,title=lockstep drop-column::m%0ADocs: "; !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 {
		t.Errorf("github = %q; want one line starting %q", got, want)
	}
}

// TestRDJSONColumns: reviewdog counts columns in UTF-8 bytes with an
// exclusive end; lockstep's positions count characters, end included.
func TestRDJSONColumns(t *testing.T) {
	src := NewSource("u.sql", "ALTER TABLE t DROP COLUMN \"naïve\";\n")
	res := &Result{Sources: map[string]*Source{"u.sql": src}, Findings: []Finding{{
		Rule: "drop-column", Severity: Error, Message: "m", Pos: src.Span(14, len(src.Text)-2),
		Suggestion: "SELECT 1;",
	}}}
	if got := spanText(src, res.Findings[0].Pos); got != `DROP COLUMN "naïve"` {
		t.Fatalf("span = %q", got)
	}
	var out rdResult
	if err := json.Unmarshal(render(t, "rdjson", res, WriteOptions{}), &out); err != nil {
		t.Fatal(err)
	}
	d := out.Diagnostics[0]
	want := rdRange{Start: rdPosition{1, 15}, End: &rdPosition{1, 35}}
	if diff := cmp.Diff(want, d.Location.Range); diff != "" {
		t.Errorf("range (-want +got):\n%s", diff)
	}
	if got := src.Text[want.Start.Column-1 : want.End.Column-1]; got != `DROP COLUMN "naïve"` {
		t.Errorf("byte range covers %q", got)
	}
	if d.Severity != "ERROR" || d.Code.Value != "drop-column" || !regexp.MustCompile(`/docs/rules/drop-column\.md$`).MatchString(d.Code.URL) {
		t.Errorf("diagnostic = %+v", d)
	}
	if len(d.Suggestions) != 1 || d.Suggestions[0].Range.Start.Column != 0 || d.Suggestions[0].Text != "SELECT 1;" {
		t.Errorf("suggestions = %+v; want one line-wise replacement", d.Suggestions)
	}
}

// TestGitLabRepoPaths: the Code Quality report names files relative to the
// repository root (what the merge request widget matches), through
// WriteOptions.RepoPath, whatever path the file was linted under; without
// it the path is the one given, cleaned.
func TestGitLabRepoPaths(t *testing.T) {
	abs := "/builds/group/project/db/migrations/../migrations/001_i.up.sql"
	src := NewSource(abs, "CREATE INDEX i ON t (c);\n")
	res := &Result{Sources: map[string]*Source{abs: src}, Findings: []Finding{{
		Rule: "create-index-non-concurrent", Severity: Error, Message: "m", Pos: src.Span(0, len(src.Text)-2),
	}}}
	paths := func(o WriteOptions) string {
		var issues []gitlabIssue
		if err := json.Unmarshal(render(t, "gitlab", res, o), &issues); err != nil || len(issues) != 1 {
			t.Fatalf("gitlab report: %v, %d issues", err, len(issues))
		}
		return issues[0].Location.Path
	}
	root := "/builds/group/project/"
	toRepo := func(p string) string { return strings.TrimPrefix(filepath.Clean(p), filepath.Clean(root)+"/") }
	if got, want := paths(WriteOptions{RepoPath: toRepo}), "db/migrations/001_i.up.sql"; got != want {
		t.Errorf("with RepoPath, location.path = %q; want %q", got, want)
	}
	if got, want := paths(WriteOptions{}), "/builds/group/project/db/migrations/001_i.up.sql"; got != want {
		t.Errorf("without RepoPath, location.path = %q; want %q", got, want)
	}
	// The other formats do not change.
	if !bytes.Equal(render(t, "sarif", res, WriteOptions{RepoPath: toRepo}), render(t, "sarif", res, WriteOptions{})) {
		t.Error("RepoPath changed the sarif output")
	}
}
