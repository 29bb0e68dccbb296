package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// squawkRules are squawk 2.x's rule names, to recognise them in the rule
// pages' "## squawk" sections.
var squawkRules = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range strings.Fields(`adding-field-with-default adding-foreign-key-constraint adding-not-nullable-field
		adding-required-field adding-serial-primary-key-field ban-alter-domain-with-add-constraint ban-char-field
		ban-concurrent-index-creation-in-transaction ban-create-domain-with-constraint ban-drop-column
		ban-drop-database ban-drop-not-null ban-drop-table ban-truncate-cascade ban-uncommitted-transaction
		changing-column-type constraint-missing-not-valid disallowed-unique-constraint prefer-big-int
		prefer-bigint-over-int prefer-bigint-over-smallint prefer-identity prefer-robust-stmts prefer-text-field
		prefer-timestamptz renaming-column renaming-table require-concurrent-index-creation
		require-concurrent-index-deletion require-concurrent-reindex require-enum-value-ordering
		require-lock-timeout require-statement-timeout require-timeout-settings transaction-nesting
		identifier-too-long require-table-schema require-concurrent-partition-detach`) {
		m[r] = true
	}
	return m
}()

var backticked = regexp.MustCompile("`([a-z0-9-]+)`")

// squawkEquivalent reads a rule page's "## squawk" section: the squawk rules
// it names as the same or the nearest check, "none" when it says squawk
// has no equivalent.
func squawkEquivalent(page string) string {
	i := strings.Index(page, "## squawk")
	if i < 0 {
		return "(not documented)"
	}
	sec := page[i+len("## squawk"):]
	if j := strings.Index(sec, "\n## "); j >= 0 {
		sec = sec[:j]
	}
	first := strings.TrimSpace(sec)
	if j := strings.Index(first, ". "); j >= 0 {
		first = first[:j]
	}
	if strings.Contains(first, "squawk has no") || strings.Contains(first, "no equivalent") {
		return "none"
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range backticked.FindAllStringSubmatch(sec, -1) {
		if squawkRules[m[1]] && !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, "`"+m[1]+"`")
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

const (
	indexBegin = "<!-- rules:begin (go test ./lint -run TestRulesIndex -update rewrites this table) -->"
	indexEnd   = "<!-- rules:end -->"
)

// TestRulesIndex keeps the table of docs/rules/README.md in step with the
// registry and the rule pages.
func TestRulesIndex(t *testing.T) {
	readme := filepath.Join("..", "docs", "rules", "README.md")
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, indexBegin), strings.Index(doc, indexEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q markers", readme, indexBegin, indexEnd)
	}
	var tb strings.Builder
	tb.WriteString(indexBegin + "\n")
	tb.WriteString("| rule | severity | what it flags | squawk |\n|---|---|---|---|\n")
	for _, r := range Rules() {
		page, _ := os.ReadFile(filepath.Join("..", "docs", "rules", r.ID+".md"))
		fmt.Fprintf(&tb, "| [%s](%s.md) | %s | %s | %s |\n", r.ID, r.ID, r.Severity, strings.ReplaceAll(r.Summary, "|", `\|`), squawkEquivalent(string(page)))
	}
	want := doc[:i] + tb.String() + doc[j:]
	if *update {
		if err := os.WriteFile(readme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if d := cmp.Diff(doc, want); d != "" {
		t.Errorf("%s: the rule index is stale (go test ./lint -run TestRulesIndex -update):\n%s", readme, d)
	}
}
