package trace

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/lint"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func file(path, sql string) *lint.File { return lint.Parse(lint.NewSource(path, sql)) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

const history = `CREATE TABLE users (id bigint PRIMARY KEY, email text, name varchar(50), n integer);
INSERT INTO users SELECT g, 'u' || g, 'n' || g, g FROM generate_series(1, 100) g;
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
`

// lockOn returns the mode a statement took on a relation.
func lockOn(st Statement, rel string) lint.LockMode {
	for _, l := range st.Locks {
		if l.Relation == rel {
			return l.Mode
		}
	}
	return lint.NoLock
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestTraceInTransaction(t *testing.T) {
	url := pgtest.Database(t)
	rep, err := Run(ctx(t), url, []*lint.File{file("001_init.up.sql", history)}, []*lint.File{file("002_change.up.sql", `SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ALTER COLUMN name TYPE varchar(100);
ALTER TABLE users ALTER COLUMN n TYPE bigint;
CREATE INDEX orders_user_idx ON orders (user_id);
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
UPDATE users SET bio = 'x' WHERE id < 10;
CREATE TABLE audit (id bigint);
`)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || !rep.Files[0].RolledBack || rep.Files[0].Failed {
		t.Fatalf("files = %+v; want one, rolled back, not failed", rep.Files)
	}
	sts := rep.Files[0].Statements
	for _, c := range []struct {
		i    int
		rel  string
		want lint.LockMode
	}{
		{0, "public.users", lint.NoLock},
		{1, "public.users", lint.AccessExclusive},
		{4, "public.orders", lint.Share},
		{6, "public.orders", lint.ShareRowExclusive},
		{6, "public.users", lint.ShareRowExclusive},
		{7, "public.users", lint.RowExclusive},
		{8, "public.audit", lint.AccessExclusive},
	} {
		if got := lockOn(sts[c.i], c.rel); got != c.want {
			t.Errorf("line %d (%s): lock on %s = %s; want %s (all: %+v)", sts[c.i].Line, sts[c.i].SQL, c.rel, got, c.want, sts[c.i].Locks)
		}
	}
	// The ALTER at line 3 asks for ACCESS EXCLUSIVE again: pg_locks cannot
	// show it, the trace says the transaction holds it since line 2.
	if l := sts[2].Locks; len(l) == 0 || l[len(l)-1].Relation != "public.users" || l[len(l)-1].Before != lint.AccessExclusive || l[len(l)-1].BeforeLine != 2 {
		t.Errorf("line 3 locks = %+v; want users with ACCESS EXCLUSIVE held from line 2", l)
	}
	// varchar(50) -> varchar(100) is catalog-only; integer -> bigint rewrites.
	if len(sts[2].Rewritten) != 0 {
		t.Errorf("varchar widening rewrote %v; want nothing", sts[2].Rewritten)
	}
	if !contains(sts[3].Rewritten, "public.users") {
		t.Errorf("integer -> bigint rewrote %v; want users", sts[3].Rewritten)
	}
	if !contains(sts[5].Scanned, "public.users") {
		t.Errorf("SET NOT NULL scanned %v; want users", sts[5].Scanned)
	}
	if !sts[8].Locks[0].New {
		t.Errorf("audit, created by the file, is not marked new: %+v", sts[8].Locks)
	}
	// One transaction (golang-migrate): the first lock is held to the end.
	var total time.Duration
	for _, st := range sts {
		total += st.Duration
	}
	for _, l := range sts[1].Locks {
		if l.Held != total-sts[0].Duration {
			t.Errorf("the ALTER's %s held %s; want the rest of the file, %s", l.Relation, l.Held, total-sts[0].Duration)
		}
	}
	// Rolled back: nothing of it stays.
	conn, err := pgx.Connect(ctx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx(t))
	var n int
	if err := conn.QueryRow(ctx(t), `SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'bio'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("users.bio after the trace: %d, %v; want it rolled back", n, err)
	}
	if err := conn.QueryRow(ctx(t), `SELECT count(*) FROM pg_class WHERE relname = 'audit'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("audit after the trace: %d, %v; want it rolled back", n, err)
	}
}

func TestTracePerStatementRunnerHoldsLocksOnlyForTheStatement(t *testing.T) {
	url := pgtest.Database(t)
	rep, err := Run(ctx(t), url, []*lint.File{file("001_init.up.sql", history)}, []*lint.File{file("002.up.sql", `ALTER TABLE users ADD COLUMN a text;
ALTER TABLE users ALTER COLUMN n TYPE bigint;
BEGIN;
ALTER TABLE orders ADD COLUMN b text;
UPDATE orders SET b = 'x';
COMMIT;
`)}, Options{Runner: lint.RunnerMultiStatement})
	if err != nil {
		t.Fatal(err)
	}
	sts := rep.Files[0].Statements
	if got := sts[0].Locks[0].Held; got != sts[0].Duration {
		t.Errorf("autocommit ALTER held its lock %s; want its own run time %s", got, sts[0].Duration)
	}
	if sts[2].Skipped == "" || sts[5].Skipped == "" {
		t.Errorf("BEGIN and COMMIT ran: %+v, %+v; want them skipped (the trace has its own transaction)", sts[2], sts[5])
	}
	if want := sts[3].Duration + sts[4].Duration; sts[3].Locks[0].Held != want {
		t.Errorf("ALTER in BEGIN ... COMMIT held %s; want to the COMMIT, %s", sts[3].Locks[0].Held, want)
	}
}

func TestTraceFailure(t *testing.T) {
	url := pgtest.Database(t)
	rep, err := Run(ctx(t), url, []*lint.File{file("001_init.up.sql", history)}, []*lint.File{file("002.up.sql", `ALTER TABLE users ADD COLUMN a text;
ALTER TABLE users ALTER COLUMN email TYPE integer;
ALTER TABLE users ADD COLUMN b text;
`)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Files[0]
	if !f.Failed || !rep.Failed() {
		t.Fatalf("Failed = %v; want true", f.Failed)
	}
	if !strings.Contains(f.Statements[1].Err, "cannot be cast automatically to type integer") {
		t.Errorf("error = %q; want PostgreSQL's message", f.Statements[1].Err)
	}
	if f.Statements[2].Skipped == "" {
		t.Errorf("the statement after the failure ran: %+v", f.Statements[2])
	}
}

func TestTraceConcurrently(t *testing.T) {
	url := pgtest.Database(t)
	rep, err := Run(ctx(t), url, []*lint.File{file("001_init.up.sql", history)}, []*lint.File{
		file("002_idx.up.sql", "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"),
		file("003_drop.up.sql", "DROP INDEX CONCURRENTLY users_email_idx;\n"),
		file("004_vacuum.up.sql", "VACUUM users;\n"),
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []lint.LockMode{lint.ShareUpdateExclusive, lint.ShareUpdateExclusive, lint.ShareUpdateExclusive} {
		f := rep.Files[i]
		if f.RolledBack || f.Failed {
			t.Fatalf("%s: rolled back %v, failed %v (%+v); want run for real", f.Path, f.RolledBack, f.Failed, f.Statements)
		}
		st := f.Statements[0]
		if !st.Sampled {
			t.Errorf("%s: not sampled", f.Path)
		}
		if got := lockOn(st, "public.users"); got != want {
			t.Errorf("%s: lock on users = %s; want %s (all: %+v)", f.Path, got, want, st.Locks)
		}
	}
	// The index was built for real, then dropped for real.
	conn, err := pgx.Connect(ctx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx(t))
	var n int
	if err := conn.QueryRow(ctx(t), `SELECT count(*) FROM pg_class WHERE relname = 'users_email_idx'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("users_email_idx after CIC + DIC: %d, %v; want gone", n, err)
	}
	if err := conn.QueryRow(ctx(t), `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lockstep trace' AND pid <> pg_backend_pid() AND state = 'idle in transaction'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d gate sessions left idle in transaction (%v)", n, err)
	}
}

func TestRefusesADatabaseThatIsNotEmpty(t *testing.T) {
	url := pgtest.Database(t)
	c := ctx(t)
	s, err := Connect(c, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(c, "x", "CREATE TABLE prod (id int)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Run(c, url, []*lint.File{file("001.up.sql", history)}, nil, Options{})
	if fault.KindOf(err) != fault.Usage || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Run on a database with a table = %v; want a usage error saying it is not empty", err)
	}
}

func TestUnreachable(t *testing.T) {
	_, err := Run(ctx(t), "postgres://lockstep:secret-pw@127.0.0.1:1/x?connect_timeout=2", nil, nil, Options{})
	if fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("Run against a closed port = %v (%v); want unavailable", err, fault.KindOf(err))
	}
	if strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("the error shows the password: %v", err)
	}
}

var durations = regexp.MustCompile(`\d+\.\d ms`)

func TestOutputGolden(t *testing.T) {
	url := pgtest.Database(t)
	rep, err := Run(ctx(t), url, []*lint.File{file("migrations/001_init.up.sql", history)}, []*lint.File{
		file("migrations/002_change.up.sql", "SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN n TYPE bigint;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"),
		file("migrations/003_idx.up.sql", "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"),
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep.Server = "15.x"
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "trace.txt.golden", durations.ReplaceAllString(text.String(), "X ms"))
	golden(t, "trace.json.golden", regexp.MustCompile(`"(held|duration)_ms": [0-9.e-]+`).ReplaceAllString(js.String(), `"${1}_ms": 0`))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}
