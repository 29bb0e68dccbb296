package lint

import (
	"fmt"
	"regexp"
	"sort"
)

// Rule is one check. Rules are values: they report through the Pass and
// never print. IDs are public (SARIF, `-- lockstep:ignore`, lockstep.yaml):
// never rename one.
type Rule struct {
	ID string
	// Summary is one line: what the rule flags.
	Summary string
	// Doc explains why, which lock, which PostgreSQL versions, and the safe
	// alternative; docs/rules/<ID>.md is the long form.
	Doc      string
	Severity Severity
	// Check runs once per statement (top-level and nested), in file order,
	// with the catalog as it was before the statement.
	Check func(*Pass)
	// CheckFile, for rules about a whole file, runs after its statements.
	CheckFile func(*FilePass)
}

// DocURL is the reference page of a rule.
func (r *Rule) DocURL() string { return DocsBaseURL + r.ID + ".md" }

// DocsBaseURL is where the rule reference pages are published.
const DocsBaseURL = "https://github.com/lockstep-dev/lockstep/blob/main/docs/rules/"

// meta rules: findings the linter itself makes, not a Check.
const (
	RuleSyntaxError  = "syntax-error"
	RuleUnusedIgnore = "unused-ignore"
)

var (
	syntaxErrorRule = &Rule{ID: RuleSyntaxError, Severity: Error,
		Summary: "the file does not parse as PostgreSQL SQL",
		Doc:     "PostgreSQL parses a whole migration file before running any of it, so one syntax error fails the file. lockstep reports it with the file, line and column and exits 3."}
	unusedIgnoreRule = &Rule{ID: RuleUnusedIgnore, Severity: Warning,
		Summary: "a lockstep:ignore comment suppresses nothing",
		Doc:     "An ignore comment whose rule does not fire on the statement it precedes (or anywhere in the file, for ignore-file) is stale: remove it, so that it cannot hide a future finding."}
)

// Rules returns every rule, sorted by ID. The slice is new on each call.
func Rules() []*Rule {
	rs := append([]*Rule{syntaxErrorRule, unusedIgnoreRule}, registry...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
}

// RuleByID finds a rule.
func RuleByID(id string) *Rule {
	for _, r := range Rules() {
		if r.ID == id {
			return r
		}
	}
	return nil
}

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// validateRules checks the registry: unique kebab-case IDs, a summary, a doc
// and a severity for each.
func validateRules(rs []*Rule) error {
	seen := map[string]bool{}
	for _, r := range rs {
		switch {
		case !kebab.MatchString(r.ID):
			return fmt.Errorf("rule %q: ID is not kebab-case", r.ID)
		case seen[r.ID]:
			return fmt.Errorf("rule %q registered twice", r.ID)
		case r.Summary == "" || r.Doc == "":
			return fmt.Errorf("rule %q: missing summary or doc", r.ID)
		case r.Severity < Hint || r.Severity > Error:
			return fmt.Errorf("rule %q: no severity", r.ID)
		case r.Check == nil && r.CheckFile == nil && r.ID != RuleSyntaxError && r.ID != RuleUnusedIgnore:
			return fmt.Errorf("rule %q: no Check", r.ID)
		}
		seen[r.ID] = true
	}
	return nil
}
