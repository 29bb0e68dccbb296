package plan

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var fixedNow = func() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC) }

// cases are the plans checked against golden files and lint.
var cases = []struct {
	name string
	req  Request
	cfg  Config
}{
	{"rename_column", Request{Kind: "rename-column", Args: []string{"users.name", "full_name"}}, Config{}},
	{"rename_column_serial_pk", Request{Kind: "rename-column", Args: []string{"accounts.id", "account_id"}}, Config{Release: "v2.4"}},
	{"rename_column_unique", Request{Kind: "rename-column", Args: []string{"orders.code", "ref"}}, Config{Runner: lint.RunnerMultiStatement}},
	{"rename_table", Request{Kind: "rename-table", Args: []string{"accounts", "tenants"}}, Config{}},
	{"change_column_type", Request{Kind: "change-column-type", Args: []string{"orders.amount", "bigint"}, BatchSize: 10000}, Config{}},
	{"change_column_type_widening", Request{Kind: "change-column-type", Args: []string{"users.nick", "varchar(80)"}}, Config{}},
	{"change_column_type_named", Request{Kind: "change-column-type", Args: []string{"users.created_at", "timestamptz"}, Column: "created"}, Config{LockTimeout: 1500 * time.Millisecond}},
	{"drop_column", Request{Kind: "drop-column", Args: []string{"users.email"}}, Config{}},
	{"drop_column_nullable", Request{Kind: "drop-column", Args: []string{"users.status"}}, Config{Release: "2025.03"}},
	{"set_not_null", Request{Kind: "set-not-null", Args: []string{"users.status"}, Default: "'active'", Fill: "'active'"}, Config{}},
	{"set_not_null_plain", Request{Kind: "set-not-null", Args: []string{"accounts.owner"}}, Config{}},
	{"add_foreign_key", Request{Kind: "add-foreign-key", Args: []string{"orders.account_id", "accounts.id"}, OnDelete: "set null"}, Config{}},
	{"add_foreign_key_indexed", Request{Kind: "add-foreign-key", Args: []string{"orders.user_id", "users.id"}, Name: "orders_user_fk"}, Config{}},
	{"add_unique", Request{Kind: "add-unique", Args: []string{"accounts.owner,plan"}}, Config{}},
	{"add_check", Request{Kind: "add-check", Args: []string{"orders", "orders_amount_positive", "amount > 0"}}, Config{}},
}

func load(t *testing.T, dir string) *History {
	t.Helper()
	h, err := Load(lint.DirFS(), dir)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return h
}

func generate(t *testing.T, h *History, req Request, cfg Config) *Plan {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	p, err := Generate(h, req, cfg)
	if err != nil {
		t.Fatalf("Generate(%s %v): %v", req.Kind, req.Args, err)
	}
	return p
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, d)
	}
}

func TestGolden(t *testing.T) {
	h := load(t, "testdata/history")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := generate(t, h, c.req, c.cfg)
			var buf bytes.Buffer
			if err := p.WriteText(&buf, "migrations", true, nil); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".golden", buf.Bytes())
		})
	}
}

// TestPlansPassLint lints the history plus each plan's files, the plan's
// files as unreleased (what lockstep lint --since sees in the pull request
// that adds them), for the oldest, default and newest PostgreSQL: no error.
func TestPlansPassLint(t *testing.T) {
	h := load(t, "testdata/history")
	for _, c := range cases {
		for _, pgv := range []int{lint.MinPGVersion, lint.DefaultPGVersion, lint.MaxPGVersion} {
			t.Run(fmt.Sprintf("%s/pg%d", c.name, pgv), func(t *testing.T) {
				p := generate(t, h, c.req, c.cfg)
				cfg := lint.DefaultConfig()
				cfg.PGVersion = pgv
				if c.cfg.Runner != "" {
					cfg.Runner = c.cfg.Runner
				}
				fs, err := Check(context.Background(), h, p, cfg)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					if f.Severity >= lint.Error {
						t.Errorf("%s:%d: %s: %s", f.Pos.File, f.Pos.Line, f.Rule, f.Message)
					} else {
						t.Logf("%s:%d: %s (%s): %s", f.Pos.File, f.Pos.Line, f.Rule, f.Severity, f.Message)
					}
				}
			})
		}
	}
}

// TestPlansPassLintInDirectory writes each plan into a copy of the history
// and lints the directory as lockstep lint --since does, the way a user
// would check it: files on disk, discovered by version.
func TestPlansPassLintInDirectory(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, "testdata/history")
			h := load(t, dir)
			p := generate(t, h, c.req, c.cfg)
			paths, err := p.Write(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) != len(p.Files) {
				t.Fatalf("Write wrote %d files, want %d", len(paths), len(p.Files))
			}
			ms, err := lint.Discover(lint.DirFS(), dir)
			if err != nil {
				t.Fatal(err)
			}
			written := map[string]bool{}
			for _, path := range paths {
				written[path] = true
			}
			var inputs []lint.Input
			for _, m := range ms {
				b, err := os.ReadFile(m.Path)
				if err != nil {
					t.Fatal(err)
				}
				inputs = append(inputs, lint.Input{Path: m.Path, Text: string(b), New: written[m.Path], Replay: !written[m.Path]})
			}
			if len(inputs) != len(h.Inputs)+len(p.Files) {
				t.Fatalf("the directory holds %d migrations after Write, want %d", len(inputs), len(h.Inputs)+len(p.Files))
			}
			cfg := lint.DefaultConfig()
			if c.cfg.Runner != "" {
				cfg.Runner = c.cfg.Runner
			}
			l, err := lint.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := l.Lint(context.Background(), inputs)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				if f.Severity >= lint.Error {
					t.Errorf("%s:%d: %s: %s", f.Pos.File, f.Pos.Line, f.Rule, f.Message)
				}
			}
			// Phases as lint reads them match the plan's.
			for i, fr := range res.Files[len(h.Inputs):] {
				if fr.Phase != p.Files[i].Phase && !(fr.Phase == lint.PhaseNone && p.Files[i].Phase == lint.Backfill) {
					t.Errorf("%s: lint reads phase %s, the plan says %s", fr.Path, fr.Phase, p.Files[i].Phase)
				}
			}
		})
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestErrors(t *testing.T) {
	h := load(t, "testdata/history")
	for _, c := range []struct {
		req  Request
		want string
	}{
		{Request{Kind: "rename-colum", Args: []string{"users.name", "x"}}, `unknown change "rename-colum"`},
		{Request{Kind: "rename-column", Args: []string{"users.name"}}, "rename-column takes TABLE.OLD NEW"},
		{Request{Kind: "rename-column", Args: []string{"users", "x"}}, `"users": want TABLE.COLUMN`},
		{Request{Kind: "rename-column", Args: []string{"ghosts.name", "x"}}, "ghosts: no migration in testdata/history creates this table"},
		{Request{Kind: "rename-column", Args: []string{"users.nope", "x"}}, "users has no column nope (columns: id, email, name, nick, status, created_at)"},
		{Request{Kind: "rename-column", Args: []string{"users.name", "email"}}, "users already has a column email"},
		{Request{Kind: "rename-column", Args: []string{"orders.id", "oid"}}, "orders.id is an identity column"},
		{Request{Kind: "rename-column", Args: []string{"users.id", "uid"}, Key: "nope"}, "--key nope: users has no such column"},
		{Request{Kind: "rename-column", Args: []string{"users.name", "a; DROP TABLE users"}}, "want a new column name"},
		{Request{Kind: "rename-column", Args: []string{"users.name", "orders.full_name"}}, "a column is renamed within its table: want users.NEW or NEW"},
		{Request{Kind: "change-column-type", Args: []string{"orders.amount", "integer"}}, "orders.amount is already integer"},
		{Request{Kind: "change-column-type", Args: []string{"orders.amount", "bigint; x"}}, "not a type"},
		{Request{Kind: "drop-column", Args: []string{"users.id"}}, "users.id is part of the primary key users_pkey"},
		{Request{Kind: "set-not-null", Args: []string{"users.email"}}, "users.email is already NOT NULL"},
		{Request{Kind: "set-not-null", Args: []string{"users.status"}, Fill: "1); DROP TABLE users; --"}, "--fill"},
		{Request{Kind: "add-foreign-key", Args: []string{"orders.note", "users.email"}}, "users.email has no primary key, unique constraint or unique index"},
		{Request{Kind: "add-foreign-key", Args: []string{"orders.user_id", "users.id"}, OnDelete: "explode"}, `--on-delete "explode"`},
		{Request{Kind: "add-unique", Args: []string{"orders.code"}}, "orders (code) is already unique: orders_code_key"},
		{Request{Kind: "add-unique", Args: []string{"accounts.owner,owner"}}, "column owner given twice"},
		{Request{Kind: "add-check", Args: []string{"orders", "c", "nope > 0"}}, "orders has no column nope"},
		{Request{Kind: "add-check", Args: []string{"orders", "c", "amount > 0) NOT VALID; DROP TABLE orders; --"}}, "CHECK expression"},
		{Request{Kind: "rename-table", Args: []string{"accounts", "users"}}, "users already exists"},
		{Request{Kind: "set-not-null", Args: []string{"users.status"}, BatchSize: -1}, "--batch-size -1"},
	} {
		_, err := Generate(h, c.req, Config{Now: fixedNow})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Generate(%s %q) = %v; want an error containing %q", c.req.Kind, c.req.Args, err, c.want)
			continue
		}
		if fault.KindOf(err) != fault.Usage {
			t.Errorf("Generate(%s %q): error kind %v; want usage", c.req.Kind, c.req.Args, fault.KindOf(err))
		}
	}
}

func TestNumbering(t *testing.T) {
	now := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	for _, c := range []struct {
		names []string
		want  []string
	}{
		{nil, []string{"001", "002"}},
		{[]string{"001_a", "002_b"}, []string{"003", "004"}},
		{[]string{"0001_a", "0009_b"}, []string{"0010", "0011"}},
		{[]string{"000001_a"}, []string{"000002", "000003"}},
		{[]string{"1_a", "2_b", "10_c"}, []string{"11", "12"}},
		{[]string{"099_a", "999_b"}, []string{"1000", "1001"}},
		{[]string{"20240101120000_a", "20240102120000_b"}, []string{"20250314092653", "20250314092654"}},
		// A timestamp in the future (another machine's clock): after it.
		{[]string{"20300101000059_a"}, []string{"20300101000100", "20300101000101"}},
		{[]string{"1700000000_a", "1700000100_b"}, []string{"1741944413", "1741944414"}},
	} {
		dir := t.TempDir()
		for _, n := range c.names {
			if err := os.WriteFile(filepath.Join(dir, n+".up.sql"), []byte("SELECT 1;\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		h := load(t, dir)
		var got []string
		for _, v := range h.numbering.next(2, now) {
			got = append(got, v.text)
		}
		if !cmp.Equal(got, c.want) {
			t.Errorf("next versions after %v = %v; want %v", c.names, got, c.want)
		}
	}
}

func TestWriteRefusesToOverwrite(t *testing.T) {
	dir := copyDir(t, "testdata/history")
	h := load(t, dir)
	p := generate(t, h, Request{Kind: "add-check", Args: []string{"orders", "c", "amount > 0"}}, Config{})
	// Someone else's file already took the second name.
	taken := filepath.Join(dir, p.Files[1].Name)
	if err := os.WriteFile(taken, []byte("SELECT 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := p.Write(dir)
	if err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "file exists") {
		t.Fatalf("Write over an existing file = %v; want a file exists error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, p.Files[0].Name)); !os.IsNotExist(err) {
		t.Errorf("the first file of the refused plan is left behind: %v", err)
	}
	if b, _ := os.ReadFile(taken); string(b) != "SELECT 1;\n" {
		t.Errorf("the existing file was changed: %q", b)
	}
}
