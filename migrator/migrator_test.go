package migrator

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// fixture is a migrations directory and a database.
type fixture struct {
	t    *testing.T
	url  string
	dir  string
	pool *pgxpool.Pool
	cfg  Config
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return fixtureOn(t, pgtest.Database(t))
}

func fixtureOn(t *testing.T, url string) *fixture {
	t.Helper()
	f := &fixture{t: t, url: url, dir: t.TempDir()}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	f.pool = pool
	f.cfg.LockTimeout = Duration(500 * time.Millisecond)
	f.cfg.RetryFor = Duration(20 * time.Second)
	return f
}

func (f *fixture) write(name, sql string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(sql), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) remove(name string) {
	f.t.Helper()
	if err := os.Remove(filepath.Join(f.dir, name)); err != nil {
		f.t.Fatal(err)
	}
}

// open opens a Migrator for release (empty for status).
func (f *fixture) open(release string, mods ...func(*Options)) (*Migrator, *bytes.Buffer, *bytes.Buffer) {
	f.t.Helper()
	var out, notes bytes.Buffer
	o := Options{DatabaseURL: f.url, FS: os.DirFS(f.dir), Dir: "migrations", Release: release, Actor: "test",
		Config: f.cfg, Lint: lint.DefaultConfig(), Out: &out, Notes: &notes}
	for _, mod := range mods {
		mod(&o)
	}
	m, err := Open(context.Background(), o)
	if err != nil {
		f.t.Fatalf("Open: %v", err)
	}
	f.t.Cleanup(m.Close)
	return m, &out, &notes
}

// run runs one phase for release.
func (f *fixture) run(release string, phase lint.Phase, mods ...func(*Options)) (*Result, string, error) {
	f.t.Helper()
	m, out, notes := f.open(release, mods...)
	res, err := m.Run(context.Background(), phase)
	f.t.Logf("migrate %s --release %s:\n%s%s(err: %v)", phase, release, out, notes, err)
	return res, out.String() + notes.String(), err
}

// mustRun runs a phase that must succeed and returns what it applied.
func (f *fixture) mustRun(release string, phase lint.Phase) []string {
	f.t.Helper()
	res, _, err := f.run(release, phase)
	if err != nil {
		f.t.Fatalf("migrate %s --release %s: %v", phase, release, err)
	}
	var got []string
	for _, a := range res.Applied {
		got = append(got, a.Migration.Label)
	}
	return got
}

func (f *fixture) deployed(release string) *ReleaseChange {
	f.t.Helper()
	m, _, _ := f.open("")
	ch, err := RecordRelease(context.Background(), m.Ledger(), release, ledger.Deployed, "test", "")
	if err != nil {
		f.t.Fatal(err)
	}
	return ch
}

func (f *fixture) status() *Status {
	f.t.Helper()
	m, _, _ := f.open("")
	st, err := m.Status(context.Background())
	if err != nil {
		f.t.Fatalf("Status: %v", err)
	}
	var b bytes.Buffer
	st.WriteText(&b)
	f.t.Logf("status:\n%s", b.String())
	return st
}

func (f *fixture) state(label string) MigrationStatus {
	f.t.Helper()
	for _, m := range f.status().Migrations {
		if m.Name == label {
			return m
		}
	}
	f.t.Fatalf("no migration %s in the status", label)
	return MigrationStatus{}
}

func (f *fixture) scalar(sql string, args ...any) any {
	f.t.Helper()
	var v any
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.pool.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// version reads a golang-migrate table: version and dirty, or -1.
func (f *fixture) version(table string) (int64, bool) {
	f.t.Helper()
	var v int64
	var dirty bool
	err := f.pool.QueryRow(context.Background(), `SELECT version, dirty FROM `+table).Scan(&v, &dirty)
	if errors.Is(err, pgx.ErrNoRows) || pgError(err) != nil && pgError(err).Code == "42P01" {
		return -1, false
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return v, dirty
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// The acceptance story: three releases, each phase in its turn.
func TestSequenceOverThreeReleases(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Release v1: a table, a new column, its backfill, the drop of a legacy
	// column the v1 code no longer uses.
	f.write("0001_create_users.up.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, legacy text);\n")
	f.write("0002_add_email_lower.up.sql", "ALTER TABLE users ADD COLUMN email_lower text;\n")
	f.write("0003_fill_email_lower.up.sql", "-- lockstep:batch key=id size=7\nUPDATE users SET email_lower = lower(email) WHERE email_lower IS NULL;\n")
	f.write("0004_drop_legacy.up.sql", "ALTER TABLE users DROP COLUMN legacy;\n")
	if got := f.mustRun("v1", lint.Expand); !equal(got, []string{"0001_create_users", "0002_add_email_lower"}) {
		t.Fatalf("expand v1 applied %v", got)
	}
	f.exec(`INSERT INTO users (id, email) SELECT g, 'User' || g || '@Example.com' FROM generate_series(1, 50) g`)
	if st := f.state("0004_drop_legacy"); st.State != StateWaiting || !strings.Contains(st.Blocked, "backfill 0003_fill_email_lower to finish") {
		t.Errorf("0004 before the backfill: %+v", st)
	}
	if got := f.mustRun("v1", lint.Backfill); !equal(got, []string{"0003_fill_email_lower"}) {
		t.Fatalf("backfill v1 applied %v", got)
	}
	if n := f.scalar(`SELECT count(*) FROM users WHERE email_lower IS DISTINCT FROM lower(email)`); n.(int64) != 0 {
		t.Fatalf("%d rows not backfilled", n)
	}
	// v1's own contract waits for a later release: scheduled, not refused.
	res, out, err := f.run("v1", lint.Contract)
	if err != nil || len(res.Applied) != 0 || len(res.Waiting) != 1 || res.Waiting[0].Refused {
		t.Fatalf("contract v1: %+v, %v; want one scheduled wait", res, err)
	}
	if !strings.Contains(out, "0004_drop_legacy waits for a release after v1 to be fully deployed (no release after v1 is recorded yet)") {
		t.Errorf("contract v1 output:\n%s", out)
	}
	f.deployed("v1")

	// Release v2: one expand and one contract of its own.
	f.write("0005_add_created_at.up.sql", "ALTER TABLE users ADD COLUMN created_at timestamptz;\n")
	f.write("0006_drop_email_lower_default.up.sql", "-- lockstep:phase contract\nALTER TABLE users ALTER COLUMN email_lower DROP DEFAULT;\n")
	if got := f.mustRun("v2", lint.Expand); !equal(got, []string{"0005_add_created_at"}) {
		t.Fatalf("expand v2 applied %v", got)
	}
	// v2 expanded but not deployed: v1's contract must not run.
	res, _, err = f.run("v2", lint.Contract)
	want := "0004_drop_legacy waits for a release after v1 to be fully deployed (v2 is expanding)"
	if !errors.Is(err, fault.Failed) || err.Error() != want {
		t.Fatalf("contract v2 before its deploy: err = %v; want fault.Failed %q", err, want)
	}
	if len(res.Waiting) != 2 || !res.Waiting[0].Refused || res.Waiting[1].Refused {
		t.Fatalf("waiting = %+v; want 0004 refused, 0006 behind it", res.Waiting)
	}
	log, _ := f.openLedger().AuditLog(ctx, ledger.AuditFilter{ActionPrefix: "migrate.refused"})
	if len(log) != 1 || log[0].Reason != want || log[0].Release != "v2" {
		t.Fatalf("audit = %+v; want one migrate.refused for v2", log)
	}
	if f.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'legacy'`).(int64) != 1 {
		t.Fatal("legacy was dropped by a refused contract")
	}
	// A rolled-back v2 does not unlock either.
	m, _, _ := f.open("")
	if _, err := RecordRelease(ctx, m.Ledger(), "v2", ledger.RolledBack, "test", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.run("v2", lint.Contract); !errors.Is(err, fault.Failed) {
		t.Fatalf("contract after v2 rolled back: %v; want refused", err)
	}
	ch := f.deployed("v2")
	if len(ch.Unlocked) != 1 || ch.Unlocked[0].Name != "0004_drop_legacy" {
		t.Fatalf("deploying v2 unlocked %+v; want 0004", ch.Unlocked)
	}
	res, _, err = f.run("v2", lint.Contract)
	if err != nil || len(res.Applied) != 1 || res.Applied[0].Migration.Label != "0004_drop_legacy" ||
		len(res.Waiting) != 1 || res.Waiting[0].Migration.Label != "0006_drop_email_lower_default" || res.Waiting[0].Refused {
		t.Fatalf("contract v2 after its deploy: %+v, %v", res, err)
	}

	// Release v3: no files of its own; its deploy unlocks v2's contract.
	f.mustRun("v3", lint.Expand)
	f.deployed("v3")
	if got := f.mustRun("v3", lint.Contract); !equal(got, []string{"0006_drop_email_lower_default"}) {
		t.Fatalf("contract v3 applied %v", got)
	}
	// Every migration applied once, by the release that ran it.
	want3 := map[string]string{"0001_create_users": "v1", "0002_add_email_lower": "v1", "0003_fill_email_lower": "v1",
		"0004_drop_legacy": "v2", "0005_add_created_at": "v2", "0006_drop_email_lower_default": "v3"}
	for _, ms := range f.status().Migrations {
		if ms.State != StateApplied || ms.AppliedIn != want3[ms.Name] {
			t.Errorf("%s: %s by %s; want applied by %s", ms.Name, ms.State, ms.AppliedIn, want3[ms.Name])
		}
	}
	intro := map[uint64]string{}
	recs, _ := f.openLedger().Migrations(ctx)
	for _, r := range recs {
		intro[r.Version] = r.IntroducedIn
	}
	if intro[4] != "v1" || intro[5] != "v2" || intro[6] != "v2" {
		t.Errorf("introduced_in = %v", intro)
	}
	for table, v := range map[string]int64{"schema_migrations": 5, "schema_migrations_backfill": 3, "schema_migrations_contract": 6} {
		if got, dirty := f.version(table); got != v || dirty {
			t.Errorf("%s = %d dirty=%v; want %d clean", table, got, dirty, v)
		}
	}
	checkGolangMigrate(t, f, "schema_migrations", 5)
	checkGolangMigrate(t, f, "schema_migrations_contract", 6)
}

func (f *fixture) openLedger() *ledger.Ledger {
	f.t.Helper()
	l, err := ledger.Open(context.Background(), f.url, ledger.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(l.Close)
	return l
}

// A second runner waits for the first, then exits 4 with a clear line; run
// one after the other, each migration applies once.
func TestConcurrentRunners(t *testing.T) {
	f := newFixture(t)
	f.exec(`CREATE TABLE runs (n int)`)
	f.write("0001_slow.up.sql", "INSERT INTO runs VALUES (1);\nSELECT pg_sleep(1.5);\n")
	f.write("0002_more.up.sql", "INSERT INTO runs VALUES (2);\n")
	started := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	var firstErr error
	go func() {
		defer wg.Done()
		_, _, firstErr = f.run("v1", lint.Expand)
	}()
	// Let the first take the lock: wait until it runs the slow migration,
	// which it does under the lock. (Any granted advisory lock is not
	// enough: the ledger's set-up takes and releases one of its own first,
	// and under load the second runner could slip in between.)
	deadline := time.Now().Add(10 * time.Second)
	for f.scalar(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(1.5)%'`).(int64) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	f.cfg.LockWait = Duration(300 * time.Millisecond)
	_, _, err := f.run("v1", lint.Expand)
	if !errors.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "another lockstep runner holds the lock") ||
		!strings.Contains(err.Error(), "--lock-wait") {
		t.Fatalf("second runner: err = %v; want Unavailable naming the lock", err)
	}
	// A third one that waits long enough finds nothing left to do.
	f.cfg.LockWait = Duration(20 * time.Second)
	res, _, err := f.run("v1", lint.Expand)
	wg.Wait()
	if firstErr != nil || err != nil {
		t.Fatalf("first: %v, third: %v", firstErr, err)
	}
	if len(res.Applied) != 0 {
		t.Errorf("the third runner applied %d migrations again", len(res.Applied))
	}
	if time.Since(started) < 1500*time.Millisecond {
		t.Errorf("the runs overlapped")
	}
	if n := f.scalar(`SELECT string_agg(n::text, ',' ORDER BY n) FROM runs`); n != "1,2" {
		t.Fatalf("runs = %v; want each migration once: 1,2", n)
	}
}
