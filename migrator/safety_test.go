package migrator

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4"
	pgx5 "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

// A long transaction holds a lock the migration needs: lockstep waits at
// most lock_timeout at a time, so the application's SELECTs never queue
// longer than that, and it succeeds once the lock is released.
func TestLockHeldByAnotherSession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.cfg.LockTimeout = Duration(200 * time.Millisecond)
	f.write("0001_accounts.up.sql", "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0);\nINSERT INTO accounts SELECT g FROM generate_series(1, 100) g;\n")
	f.mustRun("v1", lint.Expand)

	holder, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	hold := func() {
		t.Helper()
		if _, err := holder.Exec(ctx, "BEGIN; SELECT count(*) FROM accounts"); err != nil {
			t.Fatal(err)
		}
	}
	release := func() {
		t.Helper()
		if _, err := holder.Exec(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
	}
	// selects measures the application's queries for a while.
	selects := func(d time.Duration) time.Duration {
		conn, err := pgx.Connect(ctx, f.url)
		if err != nil {
			t.Error(err)
			return 0
		}
		defer conn.Close(ctx)
		var worst time.Duration
		for end := time.Now().Add(d); time.Now().Before(end); {
			t0 := time.Now()
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM accounts").Scan(&n); err != nil {
				t.Error(err)
				return 0
			}
			worst = max(worst, time.Since(t0))
			time.Sleep(10 * time.Millisecond)
		}
		return worst
	}

	// Control: the same ALTER without lock_timeout stalls the SELECTs for
	// as long as the transaction stays open.
	hold()
	ctl, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ctl.Exec(ctx, "ALTER TABLE accounts ADD COLUMN control int"); done <- err }()
	time.Sleep(100 * time.Millisecond)
	go func() { time.Sleep(1200 * time.Millisecond); release() }()
	if worst := selects(900 * time.Millisecond); worst < 700*time.Millisecond {
		t.Fatalf("control: a SELECT behind an ALTER without lock_timeout waited only %s; the test cannot tell", worst)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctl.Close(ctx)

	// lockstep: the SELECTs wait at most about the lock timeout.
	time.Sleep(200 * time.Millisecond) // the release above
	hold()
	f.write("0002_add_note.up.sql", "ALTER TABLE accounts ADD COLUMN note text;\n")
	var res *Result
	var out string
	var runErr error
	var wg sync.WaitGroup
	wg.Add(1)
	began := time.Now()
	go func() { defer wg.Done(); res, out, runErr = f.run("v1", lint.Expand) }()
	worst := selects(2 * time.Second)
	release()
	wg.Wait()
	if runErr != nil || len(res.Applied) != 1 {
		t.Fatalf("expand: %+v, %v", res, runErr)
	}
	if worst > 600*time.Millisecond {
		t.Errorf("an application SELECT waited %s behind lockstep; want about the lock timeout (200ms)", worst)
	}
	if time.Since(began) < 2*time.Second {
		t.Errorf("lockstep finished in %s, before the lock was released", time.Since(began))
	}
	if !strings.Contains(out, "0002_add_note: lock not granted within 200ms (blocked by pid") || !strings.Contains(out, "retrying in") {
		t.Errorf("output does not show the retries and the blocker:\n%s", out)
	}
	if f.scalar(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'`).(int64) != 1 {
		t.Error("the column was not added")
	}

	// Held for longer than retry_for: exit 1 naming the lock, nothing done.
	f.cfg.RetryFor = Duration(1 * time.Second)
	hold()
	defer release()
	f.write("0003_add_more.up.sql", "ALTER TABLE accounts ADD COLUMN more text;\n")
	_, _, err = f.run("v1", lint.Expand)
	if !errors.Is(err, fault.Failed) || !strings.Contains(err.Error(), "0003_add_more: lock not granted within 200ms in") ||
		!strings.Contains(err.Error(), "retry_for") {
		t.Fatalf("err = %v; want a lock give-up naming retry_for", err)
	}
	if v, dirty := f.version("schema_migrations"); v != 2 || dirty {
		t.Errorf("schema_migrations = %d dirty=%v; want 2 clean", v, dirty)
	}
}

// CONCURRENTLY runs on its own; an INVALID index of the same name (left
// by a failed build) is dropped and built again, even with IF NOT EXISTS,
// which PostgreSQL alone would take as done.
func TestInvalidIndexIsRebuilt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.write("0001_users.up.sql", "CREATE TABLE users (id int PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, 'a'), (2, 'a'), (3, 'b');\n")
	f.mustRun("v1", lint.Expand)
	// A build that fails halfway leaves an INVALID index behind.
	if _, err := f.pool.Exec(ctx, "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)"); err == nil {
		t.Fatal("the unique build over duplicates succeeded")
	}
	if f.scalar(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass`).(bool) {
		t.Fatal("the failed build left a valid index")
	}
	f.exec(`UPDATE users SET email = 'c' WHERE id = 2`)
	f.write("0002_users_email.up.sql", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n")
	_, out, err := f.run("v1", lint.Expand)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "index users_email is INVALID") {
		t.Errorf("output does not name the invalid index:\n%s", out)
	}
	if !f.scalar(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass`).(bool) {
		t.Fatal("users_email is still invalid")
	}
	log, _ := f.openLedger().AuditLog(ctx, ledger.AuditFilter{ActionPrefix: "migrate.invalid-index"})
	if len(log) != 1 {
		t.Errorf("audit = %+v; want the rebuild recorded", log)
	}
	if v, dirty := f.version("schema_migrations"); v != 2 || dirty {
		t.Errorf("schema_migrations = %d dirty=%v; want 2 clean", v, dirty)
	}
}

// A file mixing CONCURRENTLY with other statements commits unit by unit:
// dirty while part-way (golang-migrate's convention), resumed by the next
// run after the units that committed.
func TestMultiUnitFileResumes(t *testing.T) {
	f := newFixture(t)
	f.write("0001_orders.up.sql", "CREATE TABLE orders (id int PRIMARY KEY, customer int, placed date);\n"+
		"CREATE INDEX CONCURRENTLY orders_customer ON orders (customer);\n"+
		"CREATE INDEX CONCURRENTLY orders_placed ON orders (placed_at);\n")
	_, _, err := f.run("v1", lint.Expand)
	if !errors.Is(err, fault.Failed) || !strings.Contains(err.Error(), "migrations/0001_orders.up.sql:3:") ||
		!strings.Contains(err.Error(), `column "placed_at" does not exist`) {
		t.Fatalf("err = %v; want the failing statement at file:line", err)
	}
	if v, dirty := f.version("schema_migrations"); v != 1 || !dirty {
		t.Fatalf("schema_migrations = %d dirty=%v; want 1 dirty while part-way", v, dirty)
	}
	if st := f.state("0001_orders"); st.State != StateRunning || !strings.Contains(st.Blocked, "2 of 3 units done") {
		t.Errorf("status = %+v", st)
	}
	f.write("0001_orders.up.sql", "CREATE TABLE orders (id int PRIMARY KEY, customer int, placed date);\n"+
		"CREATE INDEX CONCURRENTLY orders_customer ON orders (customer);\n"+
		"CREATE INDEX CONCURRENTLY orders_placed ON orders (placed);\n")
	res, out, err := f.run("v1", lint.Expand)
	if err != nil || len(res.Applied) != 1 || !res.Applied[0].Resumed {
		t.Fatalf("resume: %+v, %v", res, err)
	}
	if !strings.Contains(out, "resuming after 2 of 3 units") {
		t.Errorf("output:\n%s", out)
	}
	if v, dirty := f.version("schema_migrations"); v != 1 || dirty {
		t.Fatalf("schema_migrations = %d dirty=%v; want 1 clean", v, dirty)
	}
	if n := f.scalar(`SELECT count(*) FROM pg_index WHERE indrelid = 'orders'::regclass AND indisvalid`).(int64); n != 3 {
		t.Errorf("%d valid indexes on orders; want 3", n)
	}
	checkGolangMigrate(t, f, "schema_migrations", 1)
}

// A file changed after it was applied is reported (exit 3) and never
// re-run; accepting it, with a reason, is audited.
func TestChangedAppliedFile(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.write("0001_log.up.sql", "CREATE TABLE log (n int);\nINSERT INTO log VALUES (1);\n")
	f.mustRun("v1", lint.Expand)
	f.write("0001_log.up.sql", "CREATE TABLE log (n int);\nINSERT INTO log VALUES (1), (2);\n")
	f.write("0002_more.up.sql", "INSERT INTO log VALUES (3);\n")
	_, _, err := f.run("v2", lint.Expand)
	if !errors.Is(err, fault.Input) || !strings.Contains(err.Error(), "migrations/0001_log.up.sql: changed after it was applied by v1") ||
		!strings.Contains(err.Error(), "--accept-changed 1") {
		t.Fatalf("err = %v; want fault.Input naming the file", err)
	}
	if n := f.scalar(`SELECT count(*) FROM log`).(int64); n != 1 {
		t.Fatalf("log has %d rows; want the applied file untouched and nothing else run", n)
	}
	if st := f.state("0001_log"); st.State != StateChanged {
		t.Errorf("status = %+v; want changed", st)
	}
	log, _ := f.openLedger().AuditLog(ctx, ledger.AuditFilter{ActionPrefix: "migrate.checksum"})
	if len(log) != 1 || log[0].Action != "migrate.checksum-mismatch" {
		t.Fatalf("audit = %+v", log)
	}
	_, _, err = f.run("v2", lint.Expand, func(o *Options) { o.AcceptChanged, o.AcceptReason = []uint64{1}, "typo fix, same schema" })
	if err != nil {
		t.Fatal(err)
	}
	if got := f.scalar(`SELECT string_agg(n::text, ',' ORDER BY n) FROM log`); got != "1,3" {
		t.Errorf("log = %v; want 1,3 (0001 never re-run)", got)
	}
	log, _ = f.openLedger().AuditLog(ctx, ledger.AuditFilter{ActionPrefix: "migrate.checksum-accepted"})
	if len(log) != 1 || log[0].Reason != "typo fix, same schema" {
		t.Errorf("audit = %+v", log)
	}
}

// First use on a database with golang-migrate history: what it applied is
// baselined; the streams go on from there.
func TestBaselineOfGolangMigrateHistory(t *testing.T) {
	f := newFixture(t)
	f.write("0001_users.up.sql", "CREATE TABLE users (id int PRIMARY KEY, name text, legacy text);\n")
	f.write("0002_fill.up.sql", "UPDATE users SET name = 'x' WHERE name IS NULL;\n")
	f.write("0003_drop_legacy.up.sql", "ALTER TABLE users DROP COLUMN legacy;\n")
	// golang-migrate's own library applies all three.
	db, err := pgxDB(f.url)
	if err != nil {
		t.Fatal(err)
	}
	drv, err := pgx5.WithInstance(db, &pgx5.Config{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := iofs.New(os.DirFS(f.dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	gm, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		t.Fatal(err)
	}
	if err := gm.Up(); err != nil {
		t.Fatal(err)
	}
	gm.Close()
	f.write("0004_add_email.up.sql", "ALTER TABLE users ADD COLUMN email text;\n")
	f.write("0005_drop_name.up.sql", "ALTER TABLE users DROP COLUMN name;\n")
	_, out, err := f.run("v7", lint.Expand)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "baseline: schema_migrations is at version 3: 3 files at or below it are taken as applied") {
		t.Errorf("output:\n%s", out)
	}
	for label, want := range map[string]string{"0001_users": "baseline", "0002_fill": "baseline", "0003_drop_legacy": "baseline", "0004_add_email": "test"} {
		if st := f.state(label); st.State != StateApplied || st.Actor != want {
			t.Errorf("%s: %+v; want applied by %s", label, st, want)
		}
	}
	if v, _ := f.version("schema_migrations_contract"); v != 3 {
		t.Errorf("schema_migrations_contract = %d; want 3 (the baseline's last contract)", v)
	}
	if v, _ := f.version("schema_migrations_backfill"); v != 2 {
		t.Errorf("schema_migrations_backfill = %d; want 2", v)
	}
	// 0005 is v7's own contract: scheduled.
	if st := f.state("0005_drop_name"); st.State != StateWaiting || !strings.Contains(st.Blocked, "after v7") {
		t.Errorf("0005: %+v", st)
	}
	checkGolangMigrate(t, f, "schema_migrations", 4)
}

// A file below its stream's version would never run under golang-migrate.
func TestOutOfOrderFile(t *testing.T) {
	f := newFixture(t)
	f.write("0001_a.up.sql", "CREATE TABLE a (id int);\n")
	f.write("0003_c.up.sql", "CREATE TABLE c (id int);\n")
	f.mustRun("v1", lint.Expand)
	f.write("0002_b.up.sql", "CREATE TABLE b (id int);\n")
	_, _, err := f.run("v2", lint.Expand)
	if !errors.Is(err, fault.Input) || !strings.Contains(err.Error(), "migrations/0002_b.up.sql: version 2 is at or below schema_migrations's version 3") {
		t.Fatalf("err = %v", err)
	}
}

// A dry run changes nothing, not even the ledger.
func TestDryRun(t *testing.T) {
	f := newFixture(t)
	f.write("0001_a.up.sql", "CREATE TABLE a (id int);\n")
	f.write("0002_drop.up.sql", "DROP TABLE a;\n")
	res, out, err := f.run("v1", lint.Expand, func(o *Options) { o.DryRun = true })
	if err != nil || len(res.Planned) != 1 || !strings.Contains(out, "would apply  0001_a") {
		t.Fatalf("dry run: %+v, %v\n%s", res, err, out)
	}
	if v, _ := f.version("schema_migrations"); v != -1 {
		t.Errorf("schema_migrations = %d after a dry run", v)
	}
	if n := f.scalar(`SELECT count(*) FROM lockstep.migrations`).(int64); n != 0 {
		t.Errorf("the dry run recorded %d migrations", n)
	}
	if n := f.scalar(`SELECT count(*) FROM pg_tables WHERE tablename = 'a'`).(int64); n != 0 {
		t.Error("the dry run created the table")
	}
}

// --drain-check: a contract waits while sessions named after the
// introducing release (or an older one) remain.
func TestDrainCheck(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.write("0001_t.up.sql", "CREATE TABLE t (id int, old text);\n")
	f.write("0002_drop_old.up.sql", "ALTER TABLE t DROP COLUMN old;\n")
	f.mustRun("v1", lint.Expand)
	f.mustRun("v2", lint.Expand)
	f.deployed("v2")
	cfg, _ := pgx.ParseConfig(f.url)
	cfg.RuntimeParams["application_name"] = "api@v1"
	old, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg.DrainCheck = true
	_, _, err = f.run("v2", lint.Contract)
	if !errors.Is(err, fault.Failed) || !strings.Contains(err.Error(), "0002_drop_old waits for sessions of v1 or older to drain (drain_check): api@v1 ×1 (pid") {
		t.Fatalf("err = %v", err)
	}
	old.Close(ctx)
	if got := f.mustRun("v2", lint.Contract); !equal(got, []string{"0002_drop_old"}) {
		t.Fatalf("after the drain: applied %v", got)
	}
}

// The database goes away mid-run: exit 4 with a clear line, and the
// ledger and the migrations tables hold exactly what committed.
func TestDatabaseGoesAway(t *testing.T) {
	srv := pgtest.Start(t)
	f := fixtureOn(t, srv.CreateDatabase(t))
	// pgtest's servers run with synchronous_commit=off, which loses the
	// last commits on an immediate stop; a real server would not.
	f.exec(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', current_database()); END $$`)
	f.pool.Reset()
	f.write("0001_items.up.sql", "CREATE TABLE items (id bigint PRIMARY KEY, n int NOT NULL DEFAULT 0);\n")
	f.mustRun("v1", lint.Expand)
	f.exec(`INSERT INTO items (id) SELECT g FROM generate_series(1, 200000) g`)

	// During an expand file: it commits with its version or not at all.
	f.write("0002_slow.up.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n")
	errc := make(chan error, 1)
	go func() { _, _, err := f.run("v1", lint.Expand); errc <- err }()
	waitFor(t, func() bool {
		return f.scalar(`SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`).(int64) > 0
	})
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	if !errors.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "database went away during 0002_slow") {
		t.Fatalf("err = %v; want fault.Unavailable naming the migration", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	f.pool.Reset() // its connections died with the server
	if v, dirty := f.version("schema_migrations"); v != 1 || dirty {
		t.Fatalf("schema_migrations = %d dirty=%v; want 1 clean", v, dirty)
	}
	if f.state("0002_slow").State == StateApplied || f.scalar(`SELECT to_regclass('slow') IS NULL`) != true {
		t.Fatal("half of 0002 is recorded or applied")
	}
	f.remove("0002_slow.up.sql")

	// During a backfill: every committed batch has its checkpoint.
	f.cfg.Backfill.MaxBatchSize = 2000
	f.write("0003_bump.up.sql", "-- lockstep:batch key=id size=1000\nUPDATE items SET n = n + 1;\n")
	go func() { _, _, err := f.run("v1", lint.Backfill); errc <- err }()
	waitFor(t, func() bool {
		v := f.scalar(`SELECT coalesce((SELECT rows_done FROM lockstep.backfills WHERE version = 3), 0)`)
		return v.(int64) >= 20000
	})
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	err = <-errc
	if !errors.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "database went away during 0003_bump") {
		t.Fatalf("err = %v; want fault.Unavailable naming the backfill", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	f.pool.Reset() // its connections died with the server
	done := f.scalar(`SELECT rows_done FROM lockstep.backfills WHERE version = 3`).(int64)
	if n := f.scalar(`SELECT count(*) FROM items WHERE n = 1`).(int64); n != done || done == 0 || done == 200000 {
		t.Fatalf("%d rows bumped, the checkpoint says %d; want them equal, mid-way", n, done)
	}
	if v, dirty := f.version("schema_migrations_backfill"); v != -1 || dirty {
		t.Errorf("schema_migrations_backfill = %d dirty=%v; want no version yet and never dirty", v, dirty)
	}
	if got := f.mustRun("v1", lint.Backfill); !equal(got, []string{"0003_bump"}) {
		t.Fatalf("resume applied %v", got)
	}
	if n := f.scalar(`SELECT count(*) FROM items WHERE n <> 1`).(int64); n != 0 {
		t.Fatalf("%d rows not bumped exactly once", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
