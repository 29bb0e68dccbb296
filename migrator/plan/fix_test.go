package plan

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/lint"
)

// fixCases are, for each change plan sequences, a statement that makes the
// change in one step and the lint rule that flags it: the rule's Fix text
// must name the lockstep plan command for that change, and the command must
// be one plan accepts for the same table and column.
var fixCases = []struct {
	kind string
	rule string
	sql  string
}{
	{"rename-column", "rename-column", "ALTER TABLE users RENAME COLUMN name TO full_name;"},
	{"rename-table", "rename-table", "ALTER TABLE accounts RENAME TO tenants;"},
	{"change-column-type", "change-column-type", "ALTER TABLE orders ALTER COLUMN amount TYPE bigint;"},
	{"drop-column", "drop-column", "ALTER TABLE users DROP COLUMN nick;"},
	{"set-not-null", "set-not-null", "ALTER TABLE users ALTER COLUMN status SET NOT NULL;"},
	{"add-foreign-key", "add-foreign-key-not-valid-missing", "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);"},
	{"add-unique", "add-unique-constraint", "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_key UNIQUE (owner);"},
	{"add-check", "add-check-not-valid-missing", "ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);"},
	// The flags and the shell quoting of the arguments.
	{"add-foreign-key", "add-foreign-key-not-valid-missing", "ALTER TABLE orders ADD FOREIGN KEY (account_id) REFERENCES accounts ON DELETE SET NULL;"},
	{"add-unique", "add-unique-constraint", "ALTER TABLE accounts ADD UNIQUE (owner, plan);"},
	{"add-check", "add-check-not-valid-missing", "ALTER TABLE users ADD CONSTRAINT users_status_known CHECK (status IN ('active', 'gone'));"},
	{"add-check", "add-check-not-valid-missing", "ALTER TABLE orders ADD CONSTRAINT orders_note_plain CHECK (note <> '$x');"},
}

// fixPending lists the rules whose Fix text does not name their plan yet
// (lint/ is owned elsewhere): the test logs them instead of failing, and
// fails once one does, so that it is taken off the list and checked.
var fixPending = map[string]string{}

// planCommand finds "lockstep plan KIND ARGS" in a fix, up to " writes" or
// the end of the line.
var planCommand = regexp.MustCompile(`(?m)lockstep plan ([a-z-]+)(.*?)(?: writes\b|$)`)

// shellWords splits the arguments of a command line as sh does for plain
// words, single- or double-quoted ones and backslash escapes outside quotes
// (a single quote inside single quotes is spelled as quote, backslash,
// quote, quote).
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote, escaped := false, rune(0), false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote == 0 && r == '\\':
			escaped, in = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func TestShellWords(t *testing.T) {
	got := strings.Join(shellWords(` orders  c 'amount > 0' "a b" 'it'\''s' "x = 'y'"`), "|")
	if want := "orders|c|amount > 0|a b|it's|x = 'y'"; got != want {
		t.Errorf("shellWords = %q; want %q", got, want)
	}
}

// TestEveryKindHasAFixCase keeps fixCases and the golden/lint cases in step
// with Kinds: a new change must come with both.
func TestEveryKindHasAFixCase(t *testing.T) {
	for _, k := range Kinds() {
		var fix, planned bool
		for _, c := range fixCases {
			fix = fix || c.kind == k.Name
		}
		for _, c := range cases {
			planned = planned || c.req.Kind == k.Name
		}
		if !fix {
			t.Errorf("%s: no fixCases entry (the lint rule whose fix should point at it)", k.Name)
		}
		if !planned {
			t.Errorf("%s: no cases entry, so TestPlansPassLint does not lint its plan", k.Name)
		}
	}
}

// TestLintFixPointsAtPlan lints each one-step change after the history, as
// lockstep lint does in the pull request that adds it, takes the lockstep
// plan command from the finding's Fix text and runs it through Generate.
func TestLintFixPointsAtPlan(t *testing.T) {
	h := load(t, "testdata/history")
	l, err := lint.New(lint.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fixCases {
		t.Run(c.kind+"/"+c.rule, func(t *testing.T) {
			inputs := make([]lint.Input, 0, len(h.Inputs)+1)
			for _, in := range h.Inputs {
				in.Replay = true
				inputs = append(inputs, in)
			}
			inputs = append(inputs, lint.Input{Path: "migrations/900_change.up.sql", Text: "SET lock_timeout = '2s';\n" + c.sql + "\n", New: true})
			res, err := l.Lint(context.Background(), inputs)
			if err != nil {
				t.Fatal(err)
			}
			var fix string
			found := false
			for _, f := range res.Findings {
				if f.Rule == c.rule && f.Pos.File == "migrations/900_change.up.sql" {
					fix, found = f.Fix, true
					break
				}
			}
			if !found {
				t.Fatalf("lint reports no %s finding on %q", c.rule, c.sql)
			}
			if m := planCommand.FindString(fix); m != "" {
				t.Log(m)
			}
			problem := fixProblem(h, c.kind, fix)
			reason, pending := fixPending[c.rule]
			switch {
			case pending && problem == "":
				t.Errorf("%s: the fix names a lockstep plan %s command plan accepts now: take the rule off fixPending", c.rule, c.kind)
			case pending:
				t.Logf("%s: known gap (%s): %s", c.rule, reason, problem)
			case problem != "":
				t.Errorf("%s: %s", c.rule, problem)
			}
		})
	}
}

// fixProblem says what is wrong with a fix that should name lockstep plan
// kind ("" when nothing is).
func fixProblem(h *History, kind, fix string) string {
	m := planCommand.FindStringSubmatch(fix)
	if m == nil {
		return "the fix names no lockstep plan command:\n" + fix
	}
	cmd := strings.TrimSpace(m[0])
	if m[1] != kind {
		return fmt.Sprintf("the fix names %q; want lockstep plan %s", cmd, kind)
	}
	req, err := planRequest(m[1], shellWords(m[2]))
	if err != nil {
		return fmt.Sprintf("the fix's %q: %v", cmd, err)
	}
	p, err := Generate(h, req, Config{Now: fixedNow})
	if err != nil {
		return fmt.Sprintf("the fix's %q is refused by plan: %v", cmd, err)
	}
	if len(p.Files) == 0 {
		return fmt.Sprintf("the fix's %q plans no file", cmd)
	}
	return ""
}

// planRequest reads the words after lockstep plan KIND as the command does:
// arguments, and the flags a fix may name (--name, --on-delete, --column,
// --key, --default, --fill), as --flag VALUE or --flag=VALUE.
func planRequest(kind string, words []string) (Request, error) {
	req := Request{Kind: kind}
	flags := map[string]*string{"--name": &req.Name, "--on-delete": &req.OnDelete, "--column": &req.Column,
		"--key": &req.Key, "--default": &req.Default, "--fill": &req.Fill}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "--") {
			req.Args = append(req.Args, w)
			continue
		}
		name, value, hasValue := strings.Cut(w, "=")
		dst, ok := flags[name]
		if !ok {
			return req, fmt.Errorf("unknown flag %s", name)
		}
		if !hasValue {
			if i+1 >= len(words) {
				return req, fmt.Errorf("flag %s needs a value", name)
			}
			i++
			value = words[i]
		}
		*dst = value
	}
	return req, nil
}
