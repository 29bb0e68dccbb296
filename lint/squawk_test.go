package lint

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The comparison with squawk (the peer linter): on every rule testdata file
// and the demo history, a statement that squawk flags must be flagged by
// lockstep too (by any rule), unless the (file, squawk rule) pair is listed
// in testdata/squawk_differences.txt with a reason that docs/rules/README.md
// explains under "Deliberate differences from squawk". It is skipped when
// the squawk binary is absent (make test installs it with .ci/deps.sh).

// squawkBinary finds squawk-cli's binary where .ci/deps.sh, bench/lint.sh
// or a developer put it.
func squawkBinary() string {
	for _, p := range []string{
		"../bench/.cache/squawk/node_modules/@squawk-cli/linux-x64/bin/squawk",
		"../bench/.cache/node_modules/@squawk-cli/linux-x64/bin/squawk",
		"/tmp/squawk/node_modules/@squawk-cli/linux-x64/bin/squawk",
		"../bench/.cache/squawk/node_modules/.bin/squawk",
		"/tmp/squawk/node_modules/.bin/squawk",
	} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath("squawk"); err == nil {
		return p
	}
	return ""
}

type squawkViolation struct {
	File    string `json:"file"`
	Line    int    `json:"line"` // 0-based
	Column  int    `json:"column"`
	Rule    string `json:"rule_name"`
	Message string `json:"message"`
	LineEnd int    `json:"line_end"`
	Level   string `json:"level"`
}

// squawkCase is one unit of comparison: a file linted alone, or a
// golang-migrate directory linted as a history.
type squawkCase struct {
	name  string // repo-relative, for the differences file
	paths []string
	cfg   Config
	news  []string
}

func squawkCases(t *testing.T) []squawkCase {
	var cases []squawkCase
	ruleDirs, _ := filepath.Glob(filepath.Join("testdata", "rules", "*"))
	sort.Strings(ruleDirs)
	for _, dir := range ruleDirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			switch {
			case e.IsDir():
				cases = append(cases, historyCase(t, p))
			case strings.HasSuffix(e.Name(), ".sql"):
				cases = append(cases, fileCase(t, []string{p}, p))
			}
		}
	}
	cases = append(cases, historyCase(t, filepath.Join("..", "testdata", "demo", "migrations")))
	return cases
}

func historyCase(t *testing.T, dir string) squawkCase {
	ms, err := Discover(DirFS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range ms {
		if m.Direction == Up {
			paths = append(paths, m.Path)
		}
	}
	return fileCase(t, paths, dir)
}

// fileCase reads the `-- test:` options as TestRules does.
func fileCase(t *testing.T, paths []string, name string) squawkCase {
	c := squawkCase{name: repoPath(name), paths: paths, cfg: DefaultConfig()}
	if strings.HasSuffix(filepath.ToSlash(name), "testdata/demo/migrations") {
		c.cfg.PGVersion = 16 // as testdata/demo/lockstep.yaml says
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := testOptRe.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			for _, kv := range strings.Fields(m[1]) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "pg":
					c.cfg.PGVersion, _ = strconv.Atoi(v)
				case "runner":
					c.cfg.Runner = Runner(v)
				case "assume_lock_timeout":
					c.cfg.AssumeLockTimeout = v == "true"
				case "new":
					c.news = append(c.news, strings.Split(v, ",")...)
				case "rule":
					id, sev, _ := strings.Cut(v, ":")
					if c.cfg.Rules == nil {
						c.cfg.Rules = map[string]string{}
					}
					c.cfg.Rules[id] = sev
				}
			}
		}
	}
	return c
}

// repoPath is a path relative to the repository root, with slashes.
func repoPath(p string) string {
	p = filepath.ToSlash(filepath.Clean(p))
	if strings.HasPrefix(p, "../") {
		return strings.TrimPrefix(p, "../")
	}
	return "lint/" + p
}

type difference struct {
	pattern, rule, reason string
	line                  int
	used                  bool
}

func readDifferences(t *testing.T) []*difference {
	f, err := os.Open(filepath.Join("testdata", "squawk_differences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*difference
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			t.Fatalf("squawk_differences.txt:%d: want FILE-PATTERN SQUAWK-RULE REASON", n)
		}
		d := &difference{pattern: fields[0], rule: fields[1], reason: strings.Join(fields[2:], " "), line: n}
		if _, err := path.Match(d.pattern, ""); err != nil {
			t.Fatalf("squawk_differences.txt:%d: bad pattern %q: %v", n, d.pattern, err)
		}
		out = append(out, d)
	}
	return out
}

func TestSquawkComparison(t *testing.T) {
	bin := squawkBinary()
	if bin == "" {
		t.Skip("squawk is not installed (make test installs it into bench/.cache/squawk)")
	}
	diffs := readDifferences(t)
	docs, err := os.ReadFile(filepath.Join("..", "docs", "rules", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(docs)
	if i := strings.Index(section, "## Deliberate differences from squawk"); i >= 0 {
		section = section[i:]
	} else {
		t.Fatal(`docs/rules/README.md has no "## Deliberate differences from squawk" section`)
	}
	for _, d := range diffs {
		if !strings.Contains(section, d.reason) {
			t.Errorf("squawk_differences.txt:%d: reason %q is not explained in docs/rules/README.md's deliberate differences", d.line, d.reason)
		}
	}

	for _, c := range squawkCases(t) {
		got := squawkRun(t, bin, c)
		res := lockstepRun(t, c)
		for _, v := range got {
			file := filepath.ToSlash(v.File)
			stmtFrom, stmtTo, ok := statementLines(res, v.File, v.Line+1)
			if !ok {
				continue // a comment line or a file that does not parse
			}
			if flaggedBetween(res, v.File, stmtFrom, stmtTo) {
				continue
			}
			rel := repoPath(file)
			listed := false
			for _, d := range diffs {
				if d.rule != v.Rule {
					continue
				}
				if m, _ := path.Match(d.pattern, rel); m || d.pattern == "*" {
					d.used, listed = true, true
				}
			}
			if !listed {
				t.Errorf("%s:%d: squawk %s flags this statement, lockstep flags nothing: %s\n\tfix lockstep, or list it in lint/testdata/squawk_differences.txt with a documented reason:\n\t%s %s <reason>",
					rel, v.Line+1, v.Rule, v.Message, rel, v.Rule)
			}
		}
	}
	for _, d := range diffs {
		if !d.used {
			t.Errorf("squawk_differences.txt:%d: %s %s no longer differs: remove the entry", d.line, d.pattern, d.rule)
		}
	}
}

func squawkRun(t *testing.T, bin string, c squawkCase) []squawkViolation {
	args := []string{"--reporter", "json", "--pg-version", fmt.Sprintf("%d.0", c.cfg.PGVersion)}
	cmd := exec.Command(bin, append(args, c.paths...)...)
	out, err := cmd.Output()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok || len(out) == 0 {
			t.Fatalf("squawk %s: %v", c.name, err)
		}
	}
	var vs []squawkViolation
	if err := json.Unmarshal(out, &vs); err != nil {
		t.Fatalf("squawk %s: %v\n%s", c.name, err, out)
	}
	return vs
}

func lockstepRun(t *testing.T, c squawkCase) *Result {
	var inputs []Input
	for _, p := range c.paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		isNew := false
		for _, prefix := range c.news {
			isNew = isNew || strings.HasPrefix(filepath.Base(p), prefix)
		}
		inputs = append(inputs, Input{Path: p, Text: string(b), New: isNew})
	}
	l, err := New(c.cfg)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	res, err := l.Lint(context.Background(), inputs)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return res
}

// statementLines returns the lines of the top-level statement of file that
// spans line.
func statementLines(res *Result, file string, line int) (int, int, bool) {
	src := res.Sources[file]
	if src == nil {
		return 0, 0, false
	}
	f := Parse(src)
	if f.Err != nil {
		return 1, src.Lines(), true
	}
	for _, s := range f.Statements {
		from, _ := src.Position(s.Start)
		to, _ := src.Position(s.End)
		if line >= from && line <= to {
			return from, to, true
		}
	}
	return 0, 0, false
}

func flaggedBetween(res *Result, file string, from, to int) bool {
	for _, f := range res.Findings {
		if f.Pos.File == file && f.Pos.Line <= to && f.Pos.EndLine >= from {
			return true
		}
	}
	return false
}
