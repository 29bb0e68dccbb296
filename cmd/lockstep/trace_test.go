package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/pgtest"
)

// traceDir is a golang-migrate directory whose second and third files take
// the locks the tests look for; the third needs the column the second adds.
var traceDir = map[string]string{
	"migrations/001_init.up.sql":    "CREATE TABLE t (id bigint PRIMARY KEY);\nINSERT INTO t SELECT g FROM generate_series(1, 50) g;\n",
	"migrations/002_add_c.up.sql":   "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c int;\n",
	"migrations/002_add_c.down.sql": "ALTER TABLE t DROP COLUMN c;\n",
	"migrations/003_c_idx.up.sql":   "CREATE INDEX CONCURRENTLY t_c_idx ON t (c);\n",
}

// section returns the lines of the text report under the file's heading.
func section(t *testing.T, out, path string) string {
	t.Helper()
	i := strings.Index(out, "\n"+path+" (")
	if i < 0 {
		t.Fatalf("no section for %s in:\n%s", path, out)
	}
	s := out[i+1:]
	if j := strings.Index(s, "\n\n"); j >= 0 {
		s = s[:j]
	}
	return s
}

func TestTraceText(t *testing.T) {
	url := pgtest.Database(t)
	dir := tree(t, traceDir)
	r := lockstep(t, dir, "trace", "migrations", "--database", url)
	r.assertExit(t, exitOK)
	if !strings.HasPrefix(r.stdout, "lockstep trace on PostgreSQL ") {
		t.Errorf("stdout starts %q; want the server's version", firstLineOf(r.stdout))
	}
	for _, c := range []struct {
		path string
		want []string // regexps, each matching a line of the file's section
	}{
		{"migrations/001_init.up.sql", []string{`^migrations/001_init.up.sql \(inside a transaction, rolled back\)$`}},
		{"migrations/002_add_c.up.sql", []string{
			`^migrations/002_add_c.up.sql \(inside a transaction, rolled back\)$`,
			`^  line 2 +ALTER TABLE t ADD COLUMN c int  \d+\.\d ms$`,
			`^ +ACCESS EXCLUSIVE on t — blocks reads and writes, held \d+\.\d ms$`,
			`^ +ACCESS EXCLUSIVE +t — blocks reads and writes, held \d+\.\d ms$`, // strongest per relation
		}},
		{"migrations/003_c_idx.up.sql", []string{
			`^migrations/003_c_idx.up.sql \(run for real, statement by statement`,
			`^  line 1 +CREATE INDEX CONCURRENTLY t_c_idx ON t \(c\)  \d+\.\d ms$`,
			`^ +SHARE UPDATE EXCLUSIVE on t, held \d+\.\d ms$`,
		}},
	} {
		sec := section(t, r.stdout, c.path)
		for _, w := range c.want {
			if !regexp.MustCompile(`(?m)` + w).MatchString(sec) {
				t.Errorf("%s: no line matches %q in:\n%s", c.path, w, sec)
			}
		}
	}
	if strings.Contains(r.stdout, "down.sql") {
		t.Errorf("a .down.sql file was traced:\n%s", r.stdout)
	}
	// CREATE INDEX CONCURRENTLY takes nothing that blocks traffic on t.
	if regexp.MustCompile(`(?m)^ +(SHARE|SHARE ROW EXCLUSIVE|EXCLUSIVE|ACCESS EXCLUSIVE) on t\b`).MatchString(section(t, r.stdout, "migrations/003_c_idx.up.sql")) {
		t.Errorf("CREATE INDEX CONCURRENTLY shows a lock blocking traffic:\n%s", r.stdout)
	}
}

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

type traceJSON struct {
	Server string `json:"server_version"`
	Files  []struct {
		Path       string `json:"path"`
		RolledBack bool   `json:"rolled_back"`
		Failed     bool   `json:"failed"`
		Statements []struct {
			Line  int    `json:"line"`
			SQL   string `json:"sql"`
			Error string `json:"error"`
			Locks []struct {
				Relation string  `json:"relation"`
				Kind     string  `json:"kind"`
				Mode     string  `json:"mode"`
				HeldMS   float64 `json:"held_ms"`
			} `json:"locks"`
		} `json:"statements"`
		Locks []struct {
			Relation string `json:"relation"`
			Mode     string `json:"mode"`
		} `json:"locks"`
	} `json:"files"`
}

func TestTraceJSON(t *testing.T) {
	url := pgtest.Database(t)
	dir := tree(t, traceDir)
	// The URL from the environment, the format as -f.
	r := runIn(t, dir, []string{"LOCKSTEP_DATABASE_URL=" + url}, "trace", "-f", "json")
	r.assertExit(t, exitOK)
	var got traceJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if got.Server == "" || len(got.Files) != 3 {
		t.Fatalf("server %q, %d files; want a version and 3 files:\n%s", got.Server, len(got.Files), r.stdout)
	}
	for _, c := range []struct {
		file       int
		line       int
		mode       string
		rolledBack bool
	}{
		{1, 2, "ACCESS EXCLUSIVE", true},
		{2, 1, "SHARE UPDATE EXCLUSIVE", false},
	} {
		f := got.Files[c.file]
		if f.RolledBack != c.rolledBack || f.Failed {
			t.Errorf("%s: rolled_back %v, failed %v; want %v, false", f.Path, f.RolledBack, f.Failed, c.rolledBack)
		}
		found := false
		for _, st := range f.Statements {
			if st.Line != c.line {
				continue
			}
			for _, l := range st.Locks {
				if l.Relation == "public.t" {
					found = true
					if l.Mode != c.mode || l.Kind != "table" || l.HeldMS <= 0 {
						t.Errorf("%s:%d: lock on public.t = %+v; want %s on a table, held > 0 ms", f.Path, c.line, l, c.mode)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s:%d: no lock on public.t in %+v", f.Path, c.line, f.Statements)
		}
		if len(f.Locks) == 0 || f.Locks[0].Relation != "public.t" || f.Locks[0].Mode != c.mode {
			t.Errorf("%s: strongest locks = %+v; want %s on public.t first", f.Path, f.Locks, c.mode)
		}
	}
}

// columns lists t's columns in the database at url.
func columns(t *testing.T, url string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTraceHistoryAndRollback(t *testing.T) {
	url := pgtest.Database(t)
	dir := tree(t, map[string]string{
		"migrations/001_init.up.sql":  traceDir["migrations/001_init.up.sql"],
		"migrations/002_add_c.up.sql": traceDir["migrations/002_add_c.up.sql"],
	})
	// The new file is traced, the directory's other file replayed first.
	r := lockstep(t, dir, "trace", "./migrations/002_add_c.up.sql", "--history", "migrations", "--database", url)
	r.assertExit(t, exitOK)
	if !strings.Contains(r.stdout, "(1 history file replayed first)") || strings.Contains(r.stdout, "001_init") {
		t.Errorf("stdout does not trace 002 alone after one history file:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^ +ACCESS EXCLUSIVE on t — `).MatchString(r.stdout) {
		t.Errorf("no ACCESS EXCLUSIVE on t:\n%s", r.stdout)
	}
	// The history stays, the traced file was rolled back.
	if got := strings.Join(columns(t, url), ","); got != "id" {
		t.Errorf("columns of t after the trace = %s; want id (002 rolled back)", got)
	}
	// The database is no longer empty: refused, unless --existing-schema.
	r = lockstep(t, dir, "trace", "migrations/002_add_c.up.sql", "--database", url)
	r.assertExit(t, exitUsage)
	if !strings.Contains(r.stderr, "already has tables") || !strings.Contains(r.stderr, "--existing-schema") {
		t.Errorf("stderr = %q; want the refusal of a database with tables, naming --existing-schema", r.stderr)
	}
	r = lockstep(t, dir, "trace", "migrations/002_add_c.up.sql", "--database", url, "--existing-schema")
	r.assertExit(t, exitOK)
}

func TestTraceStatementFails(t *testing.T) {
	url := pgtest.Database(t)
	dir := tree(t, map[string]string{
		"migrations/001_init.up.sql": traceDir["migrations/001_init.up.sql"],
		"migrations/002_bad.up.sql":  "ALTER TABLE t ADD COLUMN c int;\nALTER TABLE missing ADD COLUMN d int;\n",
		"migrations/003_more.up.sql": "ALTER TABLE t ADD COLUMN e int;\n",
	})
	r := lockstep(t, dir, "trace", "migrations", "--database", url)
	r.assertExit(t, exitFailed)
	r.assertStderr(t, `lockstep: migrations/002_bad.up.sql:2: PostgreSQL rejected the statement: relation "missing" does not exist (the files after it were not traced)`)
	if !strings.Contains(r.stdout, `FAILED: relation "missing" does not exist`) || strings.Contains(r.stdout, "003_more") {
		t.Errorf("stdout does not show the failure and stop there:\n%s", r.stdout)
	}
}

func TestTraceExitCodes(t *testing.T) {
	dir := tree(t, map[string]string{
		"migrations/001_init.up.sql": "CREATE TABLE t (id int);\n",
		"bad.sql":                    "CREATE TABLE u (id int);\nALTER TABLE t ADD COLUMN;\n",
		"empty/README":               "no migrations here\n",
	})
	db := []string{"LOCKSTEP_DATABASE_URL=postgres://nobody@127.0.0.1:1/x"}
	for _, c := range []struct {
		name   string
		vars   []string
		args   []string
		code   int
		stderr []string // substrings
	}{
		{"no database", nil, []string{"trace", "migrations"}, exitUsage,
			[]string{"no database", "--database URL", "LOCKSTEP_DATABASE_URL", "createdb"}},
		{"bad format", db, []string{"trace", "migrations", "--format", "sarif"}, exitUsage, []string{`--format "sarif"`}},
		{"bad runner", db, []string{"trace", "migrations", "--runner", "flyway"}, exitUsage, []string{`--runner "flyway"`}},
		{"bad timeout", db, []string{"trace", "migrations", "--timeout", "0s"}, exitUsage, []string{"--timeout"}},
		{"bad database URL", []string{"LOCKSTEP_DATABASE_URL=postgres://x:secret-pw@[::1"}, []string{"trace", "migrations"}, exitUsage, []string{"--database"}},
		{"unparsable", db, []string{"trace", "bad.sql"}, exitInput, []string{"lockstep: bad.sql:2:", "syntax error"}},
		{"unparsable history", db, []string{"trace", "migrations", "--history", "bad.sql"}, exitInput, []string{"bad.sql:2:"}},
		{"unreadable", db, []string{"trace", "nothere.sql"}, exitInput, []string{"nothere.sql"}},
		{"no migrations in the directory", db, []string{"trace", "empty"}, exitInput, []string{"empty: no migration files"}},
		{"unreachable", []string{"LOCKSTEP_DATABASE_URL=postgres://lockstep:secret-pw@127.0.0.1:1/x?connect_timeout=2"}, []string{"trace", "migrations"}, exitUnavailable,
			[]string{"lockstep: database 127.0.0.1:1:"}},
		{"unreachable, --database", nil, []string{"trace", "migrations", "--database", "postgres://lockstep:secret-pw@127.0.0.1:1/x?connect_timeout=2"}, exitUnavailable,
			[]string{"lockstep: database 127.0.0.1:1:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runIn(t, dir, c.vars, c.args...)
			r.assertExit(t, c.code)
			for _, s := range c.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr = %q; want it to contain %q", r.stderr, s)
				}
			}
			if strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr = %q; want one line", r.stderr)
			}
			if strings.Contains(r.stderr, "secret-pw") {
				t.Errorf("stderr shows the password: %q", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q; want nothing", r.stdout)
			}
		})
	}
}

func TestTraceHelp(t *testing.T) {
	r := lockstep(t, t.TempDir(), "trace", "--help")
	r.assertExit(t, exitOK)
	for _, want := range []string{"scratch database", "rolled back", "Examples:", "lockstep trace migrations --database", "--format", "--history"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("trace --help does not mention %q:\n%s", want, r.stdout)
		}
	}
	r = lockstep(t, t.TempDir(), "--help")
	if !regexp.MustCompile(`(?m)^  trace +Run migrations against a scratch database`).MatchString(r.stdout) {
		t.Errorf("lockstep --help does not list trace:\n%s", r.stdout)
	}
}
