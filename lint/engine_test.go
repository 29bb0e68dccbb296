package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// lintTexts lints files given as path, text pairs, in order.
func lintTexts(t *testing.T, cfg Config, pathText ...string) (*Result, error) {
	t.Helper()
	var inputs []Input
	for i := 0; i+1 < len(pathText); i += 2 {
		inputs = append(inputs, Input{Path: pathText[i], Text: pathText[i+1]})
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l.Lint(context.Background(), inputs)
}

func mustLint(t *testing.T, cfg Config, pathText ...string) *Result {
	t.Helper()
	res, err := lintTexts(t, cfg, pathText...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// summary renders findings as "rule@line:col-endline:endcol", sorted as the
// linter sorts them.
func summary(res *Result, rules ...string) []string {
	var out []string
	for _, f := range res.Findings {
		if len(rules) > 0 && !contains(rules, f.Rule) {
			continue
		}
		out = append(out, fmt.Sprintf("%s@%d:%d-%d:%d", f.Rule, f.Pos.Line, f.Pos.Col, f.Pos.EndLine, f.Pos.EndCol))
	}
	return out
}

func TestIgnoreStatement(t *testing.T) {
	src := `SET lock_timeout = '2s';
-- lockstep:ignore drop-column the column has been unused since release 41
ALTER TABLE users DROP COLUMN legacy;
ALTER TABLE users DROP COLUMN other;
DO $$
BEGIN
  -- lockstep:ignore drop-table archived in release 40, nothing reads it
  DROP TABLE archive_2019;
  DROP TABLE archive_2020;
END
$$;
-- lockstep:ignore drop-table,drop-column the whole DO block is a reviewed cleanup
DO $$
BEGIN
  DROP TABLE archive_2021;
  ALTER TABLE users DROP COLUMN third;
END
$$;
`
	res := mustLint(t, DefaultConfig(), "a.sql", src)
	got := strings.Join(summary(res, "drop-column", "drop-table", RuleUnusedIgnore), " ")
	// Only the un-ignored statements are left: line 4, and line 9 inside the first DO block.
	want := "drop-column@4:1-4:35 drop-table@9:3-9:25"
	if got != want {
		t.Errorf("findings = %s; want %s", got, want)
	}
}

func TestIgnoreFile(t *testing.T) {
	src := `-- lockstep:ignore-file drop-column this file is the contract step of release 42
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN a;
ALTER TABLE users DROP COLUMN b;
DROP TABLE t;
`
	res := mustLint(t, DefaultConfig(), "a.sql", src)
	if got := strings.Join(summary(res, "drop-column", "drop-table", RuleUnusedIgnore), " "); got != "drop-table@5:1-5:12" {
		t.Errorf("findings = %s; want only drop-table@5:1-5:12", got)
	}
}

func TestUnusedIgnore(t *testing.T) {
	src := `SET lock_timeout = '2s';
-- lockstep:ignore drop-column stale: the statement below adds a column
ALTER TABLE users ADD COLUMN x text;
-- lockstep:ignore-file drop-table nothing drops a table here
-- lockstep:ignore create-index-non-concurrent off in the configuration
CREATE INDEX users_x_idx ON users (x);
`
	cfg := DefaultConfig()
	cfg.Rules = map[string]string{"create-index-non-concurrent": "off"}
	res := mustLint(t, cfg, "a.sql", src)
	got := strings.Join(summary(res, RuleUnusedIgnore), " ")
	// The ignore of a rule that is off is not reported: the configuration may turn it on again.
	if want := "unused-ignore@2:1-2:71 unused-ignore@4:1-4:61"; got != want {
		t.Errorf("unused-ignore findings = %s; want %s", got, want)
	}
	for _, f := range res.Findings {
		if f.Rule == RuleUnusedIgnore && !strings.Contains(f.Message, "suppresses nothing") {
			t.Errorf("message %q does not say it suppresses nothing", f.Message)
		}
	}
}

func TestIgnoreErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no reason", "SELECT 1;\n-- lockstep:ignore drop-column\nALTER TABLE t DROP COLUMN c;\n", "m.sql:2: lockstep:ignore drop-column: a reason is required"},
		{"no rule", "-- lockstep:ignore\nSELECT 1;\n", "m.sql:1: lockstep:ignore needs a rule id and a reason"},
		{"unknown rule", "SELECT 1;\n\n-- lockstep:ignore drop-colum typo\nSELECT 2;\n", `m.sql:3: lockstep:ignore: unknown rule id "drop-colum" (did you mean "drop-column"?)`},
		{"unknown in file form", "-- lockstep:ignore-file nope reason\nSELECT 1;\n", `m.sql:1: lockstep:ignore-file: unknown rule id "nope"`},
		{"unknown verb", "-- lockstep:ignroe drop-column reason\nSELECT 1;\n", "m.sql:1: unknown directive lockstep:ignroe"},
		{"bad phase", "-- lockstep:phase expnad\nSELECT 1;\n", `m.sql:1: lockstep:phase: unknown phase "expnad"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lintTexts(t, DefaultConfig(), "m.sql", tt.src)
			if err == nil {
				t.Fatalf("Lint = nil error; want %q", tt.want)
			}
			if !errors.Is(err, fault.Usage) {
				t.Errorf("error %v is not a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPhaseInference(t *testing.T) {
	history := "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, legacy text);\n"
	tests := []struct {
		name, src                 string
		phase, declared, inferred Phase
		mixed                     bool
	}{
		{"expand", "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN email_lower text;\nCREATE INDEX CONCURRENTLY users_email_lower_idx ON users (email_lower);\n",
			Expand, PhaseNone, Expand, false},
		{"expand with new table", "CREATE TABLE audit (id bigint PRIMARY KEY);\nINSERT INTO audit (id) VALUES (1);\nALTER TABLE audit ADD COLUMN at timestamptz;\n",
			Expand, PhaseNone, Expand, false},
		{"backfill", "-- lockstep:batch key=id size=1000\nUPDATE users SET email = lower(email) WHERE email <> lower(email);\n",
			Backfill, PhaseNone, Backfill, false},
		{"contract", "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy;\n",
			Contract, PhaseNone, Contract, false},
		{"declared contract", "-- lockstep:phase contract\nSET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email DROP DEFAULT;\nALTER TABLE users DROP CONSTRAINT users_pkey;\n",
			Contract, Contract, Contract, false},
		{"declared over inferred", "-- lockstep:phase contract\nALTER TABLE users ADD COLUMN x text;\n",
			Contract, Contract, Expand, false},
		{"neutral", "ANALYZE users;\nSET lock_timeout = '2s';\n", PhaseNone, PhaseNone, PhaseNone, false},
		{"mixed", "ALTER TABLE users ADD COLUMN x text;\nUPDATE users SET x = email WHERE id BETWEEN 1 AND 100;\nALTER TABLE users DROP COLUMN legacy;\n",
			Contract, PhaseNone, Contract, true},
		{"orm required column", "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\nALTER TABLE users ALTER COLUMN plan DROP DEFAULT;\n",
			Contract, PhaseNone, Contract, true},
		{"dropping what the file added", "ALTER TABLE users ADD COLUMN tmp text;\nALTER TABLE users DROP COLUMN tmp;\nCREATE TABLE scratch (id int);\nDROP TABLE scratch;\n",
			Expand, PhaseNone, Expand, false},
		{"replacing a constraint", "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_check, ADD CONSTRAINT users_email_check CHECK (email <> '') NOT VALID;\n",
			Expand, PhaseNone, Expand, false},
		{"do block", "DO $$\nBEGIN\n  ALTER TABLE users ADD COLUMN y text;\n  ALTER TABLE users DROP COLUMN legacy;\nEND\n$$;\n",
			Contract, PhaseNone, Contract, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustLint(t, DefaultConfig(), "001_init.up.sql", history, "002_change.up.sql", tt.src)
			fr := res.Files[1]
			if fr.Phase != tt.phase || fr.Declared != tt.declared || fr.Inferred != tt.inferred || fr.Mixed != tt.mixed {
				t.Errorf("phase/declared/inferred/mixed = %v/%v/%v/%v; want %v/%v/%v/%v",
					fr.Phase, fr.Declared, fr.Inferred, fr.Mixed, tt.phase, tt.declared, tt.inferred, tt.mixed)
			}
		})
	}
}

func TestPositions(t *testing.T) {
	tests := []struct {
		name, src, rule string
		want            []string
	}{
		{"multi-line statement", "SET lock_timeout = '2s';\nALTER TABLE users\n  ADD COLUMN a int,\n  DROP COLUMN legacy,\n  ADD COLUMN b int;\n",
			"drop-column", []string{"drop-column@2:1-5:18"}},
		{"clause of a multi-line statement", "CREATE TABLE t (\n  id bigint PRIMARY KEY,\n  at timestamp NOT NULL,\n  name text\n);\n",
			"prefer-timestamptz", []string{"prefer-timestamptz@3:3-3:23"}},
		{"last column with a trailing comment", "CREATE TABLE t (\n  id bigint,\n  at timestamp -- when it happened\n);\n",
			"prefer-timestamptz", []string{"prefer-timestamptz@3:3-3:14"}},
		{"CRLF", "SET lock_timeout = '2s';\r\nALTER TABLE users\r\n  DROP COLUMN legacy;\r\nCREATE TABLE t (\r\n  at timestamp\r\n);\r\n",
			"", []string{"drop-column@2:1-3:20", "prefer-timestamptz@5:3-5:14"}},
		{"non-ASCII identifiers", "SET lock_timeout = '2s';\nALTER TABLE \"Bestellungen\" DROP COLUMN \"Größe\";\nCREATE TABLE \"Übersicht\" (\"Ärger\" timestamp, \"ö\" json);\n",
			"", []string{"drop-column@2:1-2:46", "prefer-timestamptz@3:27-3:43", "prefer-jsonb@3:46-3:53"}},
		{"DO block", "SET lock_timeout = '2s';\nDO $$\nDECLARE n int;\nBEGIN\n  SELECT count(*) INTO n FROM users;\n  IF n > 0 THEN\n    ALTER TABLE users\n      DROP COLUMN legacy;\n  END IF;\nEND\n$$;\n",
			"drop-column", []string{"drop-column@7:5-8:24"}},
		{"DO block with CRLF and non-ASCII", "DO $$\r\nBEGIN\r\n  -- Kündigung\r\n  ALTER TABLE \"Bestellungen\" DROP COLUMN \"Größe\";\r\nEND\r\n$$;\r\n",
			"drop-column", []string{"drop-column@4:3-4:48"}},
		{"syntax error after non-ASCII text", "-- größer\nSELECT 'é';\nALTER TABLE users ADD COLUMN;\n",
			RuleSyntaxError, []string{"syntax-error@3:29-3:29"}},
		{"syntax error in a DO block", "SELECT 1;\nDO $$\nBEGIN\n  UPDATE users SET a = 1 WHERE id = 1;\n  UPDATE users SET b = WHERE id = 2;\nEND\n$$;\n",
			RuleSyntaxError, []string{"syntax-error@5:24-5:24"}},
		{"syntax error at the end of a DO block", "DO $$\nBEGIN\n  IF true THEN\n    PERFORM 1;\nEND\n$$;\n",
			RuleSyntaxError, []string{"syntax-error@5:4-5:4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustLint(t, DefaultConfig(), "p.sql", tt.src)
			var rules []string
			if tt.rule != "" {
				rules = []string{tt.rule}
			} else {
				for _, w := range tt.want {
					rules = append(rules, w[:strings.IndexByte(w, '@')])
				}
			}
			got := summary(res, rules...)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("positions = %v; want %v", got, tt.want)
			}
		})
	}
}

// TestTriggerFunctionBody checks that a trigger function's body compiles
// with NEW and OLD known, and a function's with its parameters: they used
// to be compiled as a void function without arguments and failed.
func TestTriggerFunctionBody(t *testing.T) {
	src := `CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION bump(n int, OUT m int) LANGUAGE plpgsql AS $$
BEGIN
  m := n + 1;
END $$;
`
	res := mustLint(t, DefaultConfig(), "f.sql", src)
	if errs := res.SyntaxErrors(); len(errs) > 0 {
		t.Fatalf("syntax errors: %v", errs)
	}
}

// TestFKIndexInLaterFile: golang-migrate needs CREATE INDEX CONCURRENTLY in
// a file of its own, so the index for a foreign key often comes one file
// later; fk-without-index must see it.
func TestFKIndexInLaterFile(t *testing.T) {
	files := []string{
		"001_init.up.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, shop_id bigint);\n",
		"002_fk.up.sql", "SET lock_timeout = '2s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES users (id) NOT VALID;\n",
		"003_index.up.sql", "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\n",
	}
	res := mustLint(t, DefaultConfig(), files...)
	got := summary(res, "fk-without-index")
	if want := "fk-without-index@3:24-3:102"; strings.Join(got, " ") != want {
		t.Errorf("fk-without-index = %v; want [%s] (only shop_id, which no file indexes)", got, want)
	}
	// Alone, 002 has no later file.
	res = mustLint(t, DefaultConfig(), files[2], files[3])
	if got := summary(res, "fk-without-index"); len(got) != 2 {
		t.Errorf("002 alone: fk-without-index = %v; want both foreign keys", got)
	}
}

// TestEnumValueBeforePG12: ALTER TYPE ... ADD VALUE cannot run in a
// transaction block at all before PostgreSQL 12. lockstep supports 13 and
// later, but the rule keeps the older behaviour right.
func TestEnumValueBeforePG12(t *testing.T) {
	l, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	l.cfg.PGVersion = 11
	res, err := l.Lint(context.Background(), []Input{{Path: "e.sql", Text: "ALTER TYPE mood ADD VALUE 'happy';\nUPDATE users SET mood = 'happy' WHERE id = 1;\n"}})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(res, "add-enum-value-in-transaction")
	if want := "add-enum-value-in-transaction@1:1-1:33"; strings.Join(got, " ") != want {
		t.Errorf("pg 11: %v; want [%s]", got, want)
	}
	for _, f := range res.Findings {
		if f.Rule == "add-enum-value-in-transaction" && !strings.Contains(f.Message, "before PostgreSQL 12") {
			t.Errorf("message %q does not name the version", f.Message)
		}
	}
}

func TestCatalogReplay(t *testing.T) {
	// Each case lints a released history and a second file, and checks which
	// of the rules fire on the second file.
	tests := []struct {
		name, history, change string
		want                  []string
	}{
		{"CREATE TABLE IF NOT EXISTS keeps the released table",
			"CREATE TABLE users (id bigint PRIMARY KEY, legacy text);\n",
			"CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, legacy text);\nSET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy;\n",
			[]string{"drop-column@3:1-3:36"}},
		{"SET DEFAULT NULL removes the default",
			"CREATE TABLE users (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'a');\nALTER TABLE users ALTER COLUMN status SET DEFAULT NULL;\n",
			"SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN status DROP DEFAULT;\n",
			nil},
		{"CREATE TABLE AS has unknown columns",
			"CREATE TABLE snapshot AS SELECT 1 AS a;\n",
			"SET lock_timeout = '2s';\nALTER TABLE snapshot DROP COLUMN IF EXISTS b;\n",
			[]string{"drop-column@2:1-2:44"}},
		{"DROP COLUMN IF EXISTS of a column the history never had",
			"CREATE TABLE users (id bigint PRIMARY KEY);\n",
			"SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN IF EXISTS b;\n",
			nil},
		{"renaming a constraint renames its index",
			"CREATE TABLE users (id bigint PRIMARY KEY, email text CONSTRAINT users_email_key UNIQUE);\nALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_uq;\n",
			"SET lock_timeout = '2s';\nALTER INDEX users_email_uq RENAME TO users_email_unique;\n",
			[]string{"rename-index-or-constraint@2:1-2:55"}},
		{"renaming a table follows its foreign keys",
			"CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nALTER TABLE users RENAME TO accounts;\n",
			"SET lock_timeout = '2s';\nDROP TABLE accounts;\n",
			[]string{"drop-table@2:1-2:19"}},
		{"SET NOT NULL of a column that is NOT NULL is a no-op",
			"CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
			"SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
			nil},
	}
	rules := []string{"drop-column", "drop-default-on-not-null", "rename-index-or-constraint", "drop-table", "set-not-null"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustLint(t, DefaultConfig(), "001.sql", tt.history, "002.sql", tt.change)
			var got []string
			for _, f := range res.Findings {
				if f.Pos.File == "002.sql" && contains(rules, f.Rule) {
					got = append(got, fmt.Sprintf("%s@%d:%d-%d:%d", f.Rule, f.Pos.Line, f.Pos.Col, f.Pos.EndLine, f.Pos.EndCol))
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("findings = %v; want %v", got, tt.want)
			}
			if tt.name == "renaming a table follows its foreign keys" {
				for _, f := range res.Findings {
					if f.Rule == "drop-table" && !strings.Contains(f.Message, "orders still references it") {
						t.Errorf("drop-table message %q does not know orders references accounts", f.Message)
					}
				}
			}
		})
	}
}

func TestEnumValueOrigin(t *testing.T) {
	c := NewCatalog()
	for i, sql := range []string{
		"CREATE TYPE mood AS ENUM ('sad')",
		"ALTER TYPE mood ADD VALUE 'happy'",
		"ALTER TYPE mood RENAME VALUE 'happy' TO 'glad'",
		"ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad'",
	} {
		f := Parse(NewSource(fmt.Sprintf("%d.sql", i), sql))
		c.apply(f.Statements[0], Origin{File: f.Source.Path, Line: 1})
	}
	e := c.Enum("", "mood")
	if got := strings.Join(e.Values, ","); got != "sad,glad" {
		t.Errorf("values = %s; want sad,glad", got)
	}
	if o := e.ValueOrigin("glad"); o.File != "1.sql" {
		t.Errorf("ValueOrigin(glad) = %+v; want the ADD VALUE of 1.sql", o)
	}
	if o := e.ValueOrigin("sad"); o.File != "0.sql" {
		t.Errorf("ValueOrigin(sad) = %+v; want CREATE TYPE of 0.sql", o)
	}
}

func TestInternalCharType(t *testing.T) {
	if got := typeFromSQL(t, `"char"`).Name; got != "char" {
		t.Errorf(`TypeOf("char") = %s; want the internal type char, not bpchar`, got)
	}
	if got := typeFromSQL(t, `char(2)`).Name; got != "bpchar" {
		t.Errorf("TypeOf(char(2)) = %s; want bpchar", got)
	}
}

func TestSemicolonContexts(t *testing.T) {
	src := "SELECT 'a;b', E'c\\';d', \"e;f\", $x$g;h$x$, $$i;j$$; -- k;l\n/* m; /* n; */ o; */ SELECT $1;"
	var got []string
	names := map[sqlContext]string{ctxCode: "code", ctxString: "string", ctxIdent: "ident", ctxDollar: "dollar", ctxLineComment: "line", ctxBlockComment: "block"}
	for _, sc := range semicolons(src) {
		got = append(got, fmt.Sprintf("%s@%d", names[sc.ctx], sc.off))
	}
	want := []string{"string@9", "string@19", "ident@26", "dollar@35", "dollar@45", "code@49", "line@55",
		"block@62", "block@68", "block@74", "code@88"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("semicolons = %v; want %v", got, want)
	}
}

func TestFixes(t *testing.T) {
	tests := []struct {
		name, cfgRunner string
		pg              int
		src, rule, want string
	}{
		{"robust trigger on 13", "per-statement", 13, "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();\nSELECT 1;\n",
			"prefer-robust-stmts", "DROP TRIGGER IF EXISTS t ON users;\nCREATE TRIGGER t"},
		{"robust trigger on 14", "per-statement", 14, "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();\nSELECT 1;\n",
			"prefer-robust-stmts", "CREATE OR REPLACE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();"},
		{"robust unnamed constraint", "multi-statement", 0, "ALTER TABLE users ADD UNIQUE (email);\nSELECT 1;\n",
			"prefer-robust-stmts", "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key, ADD CONSTRAINT users_email_key UNIQUE (email);"},
		{"add required column", "", 0, "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN active boolean NOT NULL;\n",
			"add-not-null-column-no-default", "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT false;"},
		{"varchar on an existing table", "", 0, "ALTER TABLE users ADD COLUMN code varchar(8);\n",
			"prefer-text-over-varchar", "ALTER TABLE users ADD COLUMN code text;\nALTER TABLE users ADD CONSTRAINT users_code_length CHECK (char_length(code) <= 8) NOT VALID;"},
		{"fk index on an existing table", "", 0, "SET lock_timeout = '2s';\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n",
			"fk-without-index", "-- in a migration file of its own (CONCURRENTLY cannot run in a transaction block)\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.cfgRunner != "" {
				cfg.Runner = Runner(tt.cfgRunner)
			}
			if tt.pg != 0 {
				cfg.PGVersion = tt.pg
			}
			res := mustLint(t, cfg, "f.sql", tt.src)
			for _, f := range res.Findings {
				if f.Rule == tt.rule {
					if !strings.Contains(f.Fix, tt.want) {
						t.Errorf("fix = %q; want it to contain %q", f.Fix, tt.want)
					}
					return
				}
			}
			t.Errorf("no %s finding", tt.rule)
		})
	}
	// rename-column's fix knows the column's type from the history.
	res := mustLint(t, DefaultConfig(), "001.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(200));\n", "002.sql", "SET lock_timeout = '2s';\nALTER TABLE users RENAME COLUMN email TO email_address;\n")
	for _, f := range res.Findings {
		if f.Rule == "rename-column" {
			for _, want := range []string{"lockstep plan rename-column users.email users.email_address", "ALTER TABLE users ADD COLUMN email_address varchar(200);", "ALTER TABLE users DROP COLUMN email;"} {
				if !strings.Contains(f.Fix, want) {
					t.Errorf("rename-column fix lacks %q:\n%s", want, f.Fix)
				}
			}
			if f.Breaks != BreaksBoth || f.Lock.Mode != AccessExclusive {
				t.Errorf("rename-column breaks %q lock %v; want both, ACCESS EXCLUSIVE", f.Breaks, f.Lock.Mode)
			}
			return
		}
	}
	t.Error("no rename-column finding")
}

func TestLongQuotedIdentifier(t *testing.T) {
	name := strings.Repeat("a", 40) + `""` + strings.Repeat("b", 40)
	res := mustLint(t, DefaultConfig(), "q.sql", `CREATE TABLE "`+name+`" (id bigint);`+"\n")
	got := summary(res, "identifier-too-long")
	for _, f := range res.Findings {
		if f.Rule == "identifier-too-long" && !strings.Contains(f.Message, "is 81 bytes") {
			t.Errorf("message %q: want the unescaped length, 81 bytes", f.Message)
		}
	}
	if want := "identifier-too-long@1:14-1:97"; strings.Join(got, " ") != want {
		t.Errorf("identifier-too-long = %v; want [%s]", got, want)
	}
	if mayHaveLongIdentifier(`SELECT "`+strings.Repeat("x", 30)+`""`+strings.Repeat("y", 33)+`"`) != true {
		t.Error("mayHaveLongIdentifier misses a 64-byte quoted identifier with a doubled quote")
	}
	// Without quotes it looks at every 64th byte only: runs of 63 and 64
	// bytes at every offset.
	for _, n := range []int{63, 64, 100} {
		for pad := range 130 {
			s := strings.Repeat(" ", pad) + strings.Repeat("a", n) + " x"
			if got := mayHaveLongIdentifier(s); got != (n > 63) {
				t.Fatalf("a run of %d after %d spaces: %v", n, pad, got)
			}
		}
	}
}

// missing-statement-timeout reuses what the scan and rewrite rules found on
// the statement; a long rule turned off by the configuration still tells it
// that the statement rewrites the table, and the rewrite wins over a scan.
func TestStatementTimeoutWithLongRuleOff(t *testing.T) {
	const history = "CREATE TABLE accounts (id int PRIMARY KEY, n int);\n"
	const change = "SET lock_timeout = '2s';\nALTER TABLE accounts ALTER COLUMN n TYPE bigint, ADD CONSTRAINT n_pos CHECK (n > 0);\n"
	for _, off := range []string{"", "change-column-type"} {
		cfg := DefaultConfig()
		if off != "" {
			cfg.Rules = map[string]string{off: "off"}
		}
		res := mustLint(t, cfg, "1_create.up.sql", history, "2_change.up.sql", change)
		var got []string
		for _, f := range res.Findings {
			if f.Rule == "missing-statement-timeout" {
				got = append(got, fmt.Sprintf("%d:%s", f.Pos.Line, f.Message))
			}
		}
		if len(got) != 1 || !strings.Contains(got[0], "rewrites accounts") {
			t.Errorf("with %q off: missing-statement-timeout %q; want one finding that says it rewrites accounts", off, got)
		}
	}
}

// A history cut into chunks, each linted from the catalog the files before
// it leave (replayed on the side), gives exactly what one loop over the
// whole history gives: the demo service's history and the golden one, cut
// after every file and every few.
func TestChunkedLintMatchesOneLoop(t *testing.T) {
	var inputs []Input
	for _, dir := range []string{"../testdata/demo/migrations", goldenDir} {
		paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("%s: no migrations (%v)", dir, err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			text, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, Input{Path: p, Text: string(text), Scratch: strings.HasSuffix(p, ".down.sql")})
		}
	}
	render := func(res *Result) string {
		var b strings.Builder
		for _, f := range res.Files {
			fmt.Fprintf(&b, "%s phase=%s risk=%v\n", f.Path, f.Phase, f.Risk)
			for _, fd := range f.Findings {
				fmt.Fprintf(&b, "  %s %s %s | %s | %s\n", fd.Pos, fd.Rule, fd.Lock, fd.Message, fd.Fix)
			}
		}
		return b.String()
	}
	lintWith := func(loops, chunk int) string {
		oldLoops, oldChunk := lintLoops, minChunk
		defer func() { lintLoops, minChunk = oldLoops, oldChunk }()
		lintLoops, minChunk = func() int { return loops }, chunk
		l, err := New(DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		res, err := l.Lint(context.Background(), inputs)
		if err != nil {
			t.Fatal(err)
		}
		return render(res)
	}
	want := lintWith(1, 1)
	if strings.Count(want, "\n  ") < 20 {
		t.Fatalf("too few findings to compare:\n%s", want)
	}
	for _, c := range []struct{ loops, chunk int }{{2, 1}, {4, 1}, {len(inputs), 1}, {3, 5}} {
		if got := lintWith(c.loops, c.chunk); got != want {
			t.Errorf("%d loops of at least %d files differ from one loop:\n%s", c.loops, c.chunk, cmp.Diff(want, got))
		}
	}
}

// The catalog keeps its indexes twice, by name and by table; every change
// of the history must leave both saying the same.
func TestIndexesByTable(t *testing.T) {
	c := NewCatalog()
	step := func(sql string) {
		t.Helper()
		f := Parse(NewSource("x.sql", sql))
		if f.Err != nil {
			t.Fatal(f.Err)
		}
		for _, s := range f.Statements {
			c.apply(s, Origin{File: "x.sql", Line: 1})
		}
		n := 0
		for table, on := range c.byTable {
			for k, ix := range on {
				n++
				if c.indexes[k] != ix || ix.Table != table {
					t.Fatalf("after %q: byTable[%s][%s] = %+v, indexes[%s] = %+v", sql, table, k, ix, k, c.indexes[k])
				}
			}
		}
		if n != len(c.indexes) {
			t.Fatalf("after %q: %d indexes by table, %d by name", sql, n, len(c.indexes))
		}
	}
	names := func(table string) string {
		var out []string
		for _, ix := range c.IndexesOn(table) {
			out = append(out, ix.Name)
		}
		return strings.Join(out, ",")
	}
	step("CREATE TABLE a (id bigint PRIMARY KEY, x int, y int UNIQUE)")
	step("CREATE INDEX a_x ON a (x); CREATE INDEX a_xy ON a (x, y)")
	if got := names("public.a"); got != "a_pkey,a_x,a_xy,a_y_key" {
		t.Fatalf("IndexesOn(a) = %s", got)
	}
	step("ALTER TABLE a DROP COLUMN y")
	if got := names("public.a"); got != "a_pkey,a_x" {
		t.Fatalf("after DROP COLUMN y: %s", got)
	}
	step("ALTER TABLE a RENAME TO b")
	if got := names("public.b"); got != "a_pkey,a_x" || names("public.a") != "" {
		t.Fatalf("after the rename: b has %s, a has %s", got, names("public.a"))
	}
	step("ALTER INDEX a_x RENAME TO b_x; ALTER TABLE b RENAME CONSTRAINT a_pkey TO b_pkey")
	if got := names("public.b"); got != "b_pkey,b_x" {
		t.Fatalf("after the index renames: %s", got)
	}
	step("CREATE SCHEMA s; CREATE TABLE s.c (id int); CREATE INDEX c_id ON s.c (id)")
	step("ALTER SCHEMA s RENAME TO t")
	if got := names("t.c"); got != "c_id" || c.Index("t", "c_id") == nil {
		t.Fatalf("after the schema rename: t.c has %q", got)
	}
	step("DROP INDEX b_x; DROP TABLE t.c")
	if got := names("public.b") + "|" + names("t.c"); got != "b_pkey|" {
		t.Fatalf("after the drops: %s", got)
	}
	if cl := c.clone(); len(cl.byTable) != len(c.byTable) || len(cl.IndexesOn("public.b")) != 1 {
		t.Fatal("the clone lost the indexes by table")
	}
}

func TestWithConcurrently(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"CREATE INDEX a_x ON a (x)", "CREATE INDEX CONCURRENTLY a_x ON a (x);"},
		{"\n-- why\n/* more */ create unique index if not exists a_x on a(x) where x > 0;", "create unique index concurrently if not exists a_x on a(x) where x > 0;"},
		{"CREATE\n  UNIQUE\tIndex a_x\n  ON a (x)\n", "CREATE\n  UNIQUE\tIndex CONCURRENTLY a_x\n  ON a (x);"},
		{"CREATE INDEX ON a (x) -- a comment", ""},
		{"CREATE TABLE a (x int)", ""},
		{"CREATE INDEXES", ""},
	} {
		got, ok := withConcurrently(c.in)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("withConcurrently(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

// A file that is not UTF-8 is bad input at its first invalid byte, as the
// server rejects it, even when the byte is in a comment.
func TestInvalidUTF8(t *testing.T) {
	res := mustLint(t, DefaultConfig(), "latin1.sql", "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c int; -- caf\xe9\n")
	got := summary(res, RuleSyntaxError)
	if want := "syntax-error@2:39-2:39"; strings.Join(got, " ") != want {
		t.Fatalf("findings %v; want [%s]", got, want)
	}
	if f := res.Findings[0]; !strings.Contains(f.Message, `invalid byte sequence for encoding "UTF8": 0xe9`) {
		t.Fatalf("message %q", f.Message)
	}
	if res := mustLint(t, DefaultConfig(), "utf8.sql", "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c int; -- café\n"); len(summary(res, RuleSyntaxError)) != 0 {
		t.Fatal("valid UTF-8 was rejected")
	}
}
