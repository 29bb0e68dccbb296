package report

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

var (
	lint = Section{Stage: StageLint, State: StateFailure, Summary: "2 errors\nin 1 file", Markdown: "| rule | line |\n|---|---|\n| set-not-null | 3 |\n", URL: "https://ci/run/1"}
	gate = Section{Stage: StageGate, State: StateSuccess, Summary: "open until 18:00 UTC"}
	plan = Section{Stage: StagePlan, State: StatePending, Summary: "3 phases", Markdown: "expand → backfill → contract"}
)

func TestMergeSticky(t *testing.T) {
	first := MergeSticky("", []Section{gate}, "", GitHubCommentLimit)
	second := MergeSticky(first, []Section{lint}, "", GitHubCommentLimit)
	third := MergeSticky(second, []Section{plan}, "", GitHubCommentLimit)
	golden(t, "sticky", third)

	// Stage order regardless of arrival: lint, plan, gate.
	li, pi, gi := strings.Index(third, "section=lint"), strings.Index(third, "section=plan"), strings.Index(third, "section=gate")
	if !(li < pi && pi < gi) {
		t.Errorf("sections out of order: lint@%d plan@%d gate@%d", li, pi, gi)
	}
	// Replacing lint leaves the others byte for byte.
	fixed := lint
	fixed.State, fixed.Summary, fixed.Markdown = StateSuccess, "no findings", ""
	fourth := MergeSticky(third, []Section{fixed}, "", GitHubCommentLimit)
	if strings.Count(fourth, "lockstep:section=lint -->") != 1 || strings.Contains(fourth, "set-not-null") || !strings.Contains(fourth, "✅ **Lint**: no findings") {
		t.Errorf("lint not replaced:\n%s", fourth)
	}
	for _, s := range []Section{plan, gate} {
		if !strings.Contains(fourth, RenderSection(s)) {
			t.Errorf("%s section changed:\n%s", s.Stage, fourth)
		}
	}
	// Same input, same body: writers skip the edit.
	if again := MergeSticky(fourth, []Section{fixed}, "", GitHubCommentLimit); again != fourth {
		t.Error("merging the same section twice changed the body")
	}
	if !IsSticky(fourth, "") || IsSticky(fourth, "svc-a") || IsSticky("hello\n"+fourth, "") {
		t.Error("IsSticky does not recognise exactly its own first line")
	}
	if !IsSticky(MergeSticky("", []Section{gate}, "svc a", 1000), "svc a") {
		t.Error("IsSticky with an id")
	}
}

func TestMergeStickyLimit(t *testing.T) {
	big := Section{Stage: StageLint, State: StateFailure, Summary: "many",
		Markdown: "```sql\n" + strings.Repeat("ALTER TABLE t ADD COLUMN c int;\n", 4000) + "```"}
	body := MergeSticky(MergeSticky("", []Section{gate}, "", GitHubCommentLimit), []Section{big}, "", GitHubCommentLimit)
	if len(body) > GitHubCommentLimit {
		t.Fatalf("len = %d; want at most %d", len(body), GitHubCommentLimit)
	}
	if len(body) < GitHubCommentLimit-2000 {
		t.Errorf("len = %d; cut far more than needed", len(body))
	}
	if !strings.Contains(body, RenderSection(gate)) {
		t.Error("the small gate section was cut")
	}
	if strings.Count(body, "```")%2 != 0 || strings.Count(body, "<details>") != strings.Count(body, "</details>") {
		t.Error("cut left a code fence or <details> open")
	}
	if !strings.Contains(body, "cut to fit the comment size limit") || !strings.HasSuffix(body, "<!-- lockstep:/section=gate -->\n") {
		t.Errorf("no note, or the end was lost: ...%s", body[len(body)-300:])
	}
	// Tiny limits still terminate and stay within bounds.
	if b := MergeSticky("", []Section{big, gate, plan}, "", 400); len(b) > 400 {
		t.Errorf("len = %d at limit 400", len(b))
	}
}

func TestComment(t *testing.T) {
	a := Annotation{Path: "m/002.sql", Line: 4, EndLine: 5, Level: LevelError, Rule: "set-not-null",
		Title: "SET NOT NULL on users scans the table", Body: "- **Lock:** ACCESS EXCLUSIVE on `users`\n- **Breaks:** availability",
		Suggestion: "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\n```tricky```", DocURL: "https://docs/set-not-null.md"}
	got := Comment(a, CommentOptions{Stage: StageLint, SuggestionFence: "suggestion"}) + "\n---\n" +
		Comment(a, CommentOptions{Stage: StageLint}) + "\n---\n" +
		Outdated(Comment(a, CommentOptions{Stage: StageLint}), "abcdef0123456789")
	golden(t, "comment", got)

	fp, stage, outdated, ok := ParseMarker(Comment(a, CommentOptions{Stage: StageLint}))
	if !ok || fp != a.Fingerprint() || stage != StageLint || outdated {
		t.Errorf("ParseMarker = %q, %q, %v, %v", fp, stage, outdated, ok)
	}
	if _, _, outdated, ok := ParseMarker(Outdated(Comment(a, CommentOptions{Stage: StageLint}), "")); !ok || !outdated {
		t.Error("Outdated comment not marked outdated")
	}
	if _, _, _, ok := ParseMarker("a human comment"); ok {
		t.Error("ParseMarker found a marker in plain text")
	}
}

func TestFingerprint(t *testing.T) {
	a := Annotation{Path: "a.sql", Line: 3, Rule: "r", Title: "t", Body: "b"}
	b := a
	b.Body, b.Suggestion, b.Level = "reworded", "x", LevelError
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("fingerprint depends on the body")
	}
	c := a
	c.EndLine = 3 // same as unset
	if a.Fingerprint() != c.Fingerprint() {
		t.Error("EndLine == Line differs from EndLine unset")
	}
	for _, d := range []Annotation{{Path: "b.sql", Line: 3, Rule: "r", Title: "t"}, {Path: "a.sql", Line: 4, Rule: "r", Title: "t"},
		{Path: "a.sql", Line: 3, Rule: "q", Title: "t"}, {Path: "a.sql", Line: 3, EndLine: 5, Rule: "r", Title: "t"}} {
		if d.Fingerprint() == a.Fingerprint() {
			t.Errorf("%+v has the same fingerprint as %+v", d, a)
		}
	}
	if len(a.Fingerprint()) != 16 {
		t.Errorf("fingerprint %q: want 16 hex digits", a.Fingerprint())
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 200)
	got := Truncate(long, DescriptionLimit)
	if n := utf8.RuneCountInString(got); n != DescriptionLimit || !strings.HasSuffix(got, "…") {
		t.Errorf("Truncate = %d runes %q", n, got)
	}
	if got := Truncate("a\n b", 10); got != "a b" {
		t.Errorf("Truncate = %q; want newlines folded", got)
	}
}

func TestSummary(t *testing.T) {
	got := Summary(&Report{Sections: []Section{gate, lint}})
	want := "### ❌ lockstep lint: 2 errors in 1 file\n\n| rule | line |\n|---|---|\n| set-not-null | 3 |\n\n### ✅ lockstep gate: open until 18:00 UTC\n\n"
	if got != want {
		t.Errorf("Summary = %q; want %q", got, want)
	}
	if got := Summary(&Report{Summary: "custom", Sections: []Section{gate}}); got != "custom" {
		t.Errorf("Summary with r.Summary = %q", got)
	}
}

func TestSecret(t *testing.T) {
	s := Secret("ghp_abc")
	for _, got := range []string{s.String(), s.GoString(), s.LogValue().String()} {
		if strings.Contains(got, "ghp_abc") {
			t.Errorf("secret leaks: %q", got)
		}
	}
	if s.Reveal() != "ghp_abc" {
		t.Error("Reveal")
	}
}

// TestMergeStickyFiveStages: the stages arrive in any order and again, and
// the comment always reads lint, plan, gate, migrate, rollout, each update
// changing its own section and no byte of the others.
func TestMergeStickyFiveStages(t *testing.T) {
	sec := func(s Stage, state State, summary string) Section {
		return Section{Stage: s, State: state, Summary: summary, Markdown: "details of " + summary}
	}
	arrivals := []Section{
		sec(StageGate, StateFailure, "closed: freeze"),
		sec(StageRollout, StateRunning, "canary 5%"),
		sec(StageLint, StateSuccess, "no findings"),
		sec(StageMigrate, StateSuccess, "expand v7: 2 applied"),
		sec(StagePlan, StateSuccess, "3 files"),
		sec(StageGate, StateSuccess, "open"),
		sec(StageRollout, StateSuccess, "promoted"),
		sec(StageMigrate, StateSuccess, "contract v7: 1 applied"),
	}
	body := ""
	current := map[Stage]Section{}
	for i, s := range arrivals {
		next := MergeSticky(body, []Section{s}, "", GitHubCommentLimit)
		for st, old := range current {
			if st != s.Stage && !strings.Contains(next, RenderSection(old)) {
				t.Fatalf("arrival %d (%s) changed the %s section:\n%s", i, s.Stage, st, next)
			}
		}
		if strings.Count(next, "<!-- lockstep:section="+string(s.Stage)+" -->") != 1 || !strings.Contains(next, RenderSection(s)) {
			t.Fatalf("arrival %d: want exactly one, new, %s section:\n%s", i, s.Stage, next)
		}
		current[s.Stage] = s
		body = next
	}
	last := -1
	for _, st := range Stages {
		i := strings.Index(body, "<!-- lockstep:section="+string(st)+" -->")
		if i <= last {
			t.Fatalf("%s out of order (lint → plan → gate → migrate → rollout):\n%s", st, body)
		}
		last = i
	}
	for _, gone := range []string{"closed: freeze", "canary 5%", "expand v7"} {
		if strings.Contains(body, gone) {
			t.Errorf("a replaced section's text %q is still there", gone)
		}
	}
	if !strings.HasPrefix(body, StickyMarker("")+"\n") {
		t.Errorf("the marker is not the first line")
	}
}
