package lint

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// The rule tests read lint/testdata/rules/<rule-id>/. Each .sql file there is
// linted on its own; each subdirectory is linted as a golang-migrate
// directory (history in version order). Expectations are inline:
//
//	CREATE INDEX i ON users (email); -- want: create-index-non-concurrent
//	-- want+1: drop-column "old release"
//
// "want:" expects a finding of that rule starting on the comment's line,
// "want+N:" N lines below; an optional quoted regexp after the id must match
// the message. The test fails on unmet expectations and on unexpected
// findings of the rule under test (and of any rule the file's wants name).
// A "-- test: pg=12 runner=multi-statement new=002,003 config=key:value"
// line sets options: new lists the version prefixes (or file names) that
// count as unreleased, as --since would.
func TestRules(t *testing.T) {
	for _, r := range Rules() {
		t.Run(r.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", "rules", r.ID)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatalf("rule %s has no testdata: %v", r.ID, err)
			}
			wants, statements := 0, 0
			for _, e := range entries {
				path := filepath.Join(dir, e.Name())
				if e.IsDir() {
					w, s := runRuleCase(t, r.ID, path, true)
					wants, statements = wants+w, statements+s
				} else if strings.HasSuffix(e.Name(), ".sql") {
					w, s := runRuleCase(t, r.ID, path, false)
					wants, statements = wants+w, statements+s
				}
			}
			if wants == 0 {
				t.Errorf("no positive case: no `-- want: %s` in %s", r.ID, dir)
			}
			if statements <= wants {
				t.Errorf("no negative case: %d statements for %d expected findings in %s", statements, wants, dir)
			}
		})
	}
}

type want struct {
	file string
	line int
	rule string
	re   *regexp.Regexp
	met  bool
}

var (
	wantRe     = regexp.MustCompile(`--\s*want(\+\d+)?:\s*(.*)$`)
	wantItemRe = regexp.MustCompile(`([a-z][a-z0-9-]*)(\s+"((?:[^"\\]|\\.)*)")?`)
	testOptRe  = regexp.MustCompile(`^--\s*test:\s*(.*)$`)
)

// runRuleCase lints one case and checks it; it returns the number of wants
// for the rule under test and of statements.
func runRuleCase(t *testing.T, ruleID, path string, isDir bool) (nwant, nstmt int) {
	t.Helper()
	var paths []string
	if isDir {
		ms, err := Discover(DirFS(), path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, m := range ms {
			if m.Direction == Up {
				paths = append(paths, m.Path)
			}
		}
	} else {
		paths = []string{path}
	}
	cfg := DefaultConfig()
	var newSet []string
	var inputs []Input
	var wants []*want
	checked := map[string]bool{ruleID: true}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for i, line := range strings.Split(text, "\n") {
			if m := testOptRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				for _, kv := range strings.Fields(m[1]) {
					k, v, _ := strings.Cut(kv, "=")
					switch k {
					case "pg":
						cfg.PGVersion, _ = strconv.Atoi(v)
					case "runner":
						cfg.Runner = Runner(v)
					case "new":
						newSet = append(newSet, strings.Split(v, ",")...)
					case "assume_lock_timeout":
						cfg.AssumeLockTimeout = v == "true"
					case "assume_statement_timeout":
						cfg.AssumeStatementTimeout = v == "true"
					case "rule":
						id, sev, _ := strings.Cut(v, ":")
						if cfg.Rules == nil {
							cfg.Rules = map[string]string{}
						}
						cfg.Rules[id] = sev
					default:
						t.Fatalf("%s:%d: unknown test option %q", p, i+1, k)
					}
				}
			}
			m := wantRe.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n := i + 1
			if m[1] != "" {
				off, _ := strconv.Atoi(m[1][1:])
				n += off
			}
			for _, it := range wantItemRe.FindAllStringSubmatch(m[2], -1) {
				w := &want{file: p, line: n, rule: it[1]}
				if it[2] != "" {
					w.re = regexp.MustCompile(it[3])
				}
				if RuleByID(w.rule) == nil {
					t.Fatalf("%s:%d: want names unknown rule %q", p, i+1, w.rule)
				}
				checked[w.rule] = true
				wants = append(wants, w)
				if w.rule == ruleID {
					nwant++
				}
			}
		}
		isNew := false
		for _, prefix := range newSet {
			if strings.HasPrefix(filepath.Base(p), prefix) {
				isNew = true
			}
		}
		inputs = append(inputs, Input{Path: p, Text: text, New: isNew})
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	res, err := l.Lint(context.Background(), inputs)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, in := range inputs {
		f := Parse(NewSource(in.Path, in.Text))
		if f.Err != nil {
			nstmt++
		}
		for _, s := range f.Statements {
			nstmt += 1 + len(s.nested)
		}
	}
	for _, f := range res.Findings {
		if !checked[f.Rule] {
			continue
		}
		ok := false
		for _, w := range wants {
			if w.met || w.rule != f.Rule || w.file != f.Pos.File || w.line != f.Pos.Line {
				continue
			}
			if w.re != nil && !w.re.MatchString(f.Message) {
				continue
			}
			w.met, ok = true, true
			break
		}
		if !ok {
			t.Errorf("%s:%d:%d: unexpected %s: %s", f.Pos.File, f.Pos.Line, f.Pos.Col, f.Rule, f.Message)
		}
	}
	for _, w := range wants {
		if !w.met {
			re := ""
			if w.re != nil {
				re = fmt.Sprintf(" matching %q", w.re)
			}
			t.Errorf("%s:%d: expected %s%s, got %s", w.file, w.line, w.rule, re, findingsAt(res, w.file, w.line))
		}
	}
	return nwant, nstmt
}

func findingsAt(res *Result, file string, line int) string {
	var out []string
	for _, f := range res.Findings {
		if f.Pos.File == file && f.Pos.Line == line {
			out = append(out, fmt.Sprintf("%s (%s)", f.Rule, f.Message))
		}
	}
	if len(out) == 0 {
		return "nothing on that line"
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// TestRuleRegistry checks ids, docs and reference pages.
func TestRuleRegistry(t *testing.T) {
	if err := validateRules(Rules()); err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		doc := filepath.Join("..", "docs", "rules", r.ID+".md")
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Errorf("rule %s has no reference page: %v", r.ID, err)
			continue
		}
		for _, section := range []string{"## Why", "## Safe alternative", "## Example"} {
			if !strings.Contains(string(b), section) {
				t.Errorf("%s: missing section %q", doc, section)
			}
		}
	}
}
