package migrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

func TestBatchHeader(t *testing.T) {
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"no key", "-- lockstep:batch size=10\nUPDATE t SET n = 1;", "x.up.sql:1: lockstep:batch: key= is required"},
		{"bad size", "-- lockstep:batch key=id size=0\nUPDATE t SET n = 1;", "x.up.sql:1: lockstep:batch: size=0: want a whole number"},
		{"unknown", "-- lockstep:batch key=id sise=10\nUPDATE t SET n = 1;", `x.up.sql:1: lockstep:batch: unknown setting "sise"`},
		{"not k=v", "-- lockstep:batch key=id 5000\nUPDATE t SET n = 1;", `x.up.sql:1: lockstep:batch: "5000": want key=value`},
		{"bad target", "\n-- lockstep:batch key=id target=fast\nUPDATE t SET n = 1;", "x.up.sql:2: lockstep:batch: target=fast"},
		{"negative pause", "-- lockstep:batch key=id pause=-5ms\nUPDATE t SET n = 1;", "x.up.sql:1: lockstep:batch: pause=-5ms: want a duration"},
		{"bad pause", "-- lockstep:batch key=id pause=50\nUPDATE t SET n = 1;", "x.up.sql:1: lockstep:batch: pause=50: want a duration"},
		{"two updates", "-- lockstep:batch key=id\nUPDATE t SET n = 1;\nUPDATE t SET n = 2;", "x.up.sql:3: a lockstep:batch file holds one UPDATE or DELETE"},
		{"no update", "-- lockstep:batch key=id\nSELECT 1;", "x.up.sql:2: a lockstep:batch file holds one UPDATE or DELETE"},
		{"declared expand", "-- lockstep:phase expand\n-- lockstep:batch key=id\nUPDATE t SET n = 1;", "x.up.sql:2: lockstep:batch in a file declared expand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "0001_x.up.sql"), []byte(tc.sql), 0o644)
			_, err := Load(context.Background(), os.DirFS(dir), ".", lint.DefaultConfig())
			if !errors.Is(err, fault.Usage) || !strings.Contains(err.Error(), strings.Replace(tc.want, "x.up.sql", "0001_x.up.sql", 1)) {
				t.Fatalf("Load = %v; want a usage error containing %q", err, tc.want)
			}
		})
	}
}

func TestKeyRangeThroughParseTree(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "0001_a.up.sql"), []byte("-- lockstep:batch key=Id size=50\nSET LOCAL work_mem = '64MB';\n"+
		"UPDATE ONLY app.users AS u SET score = s.total FROM scores s WHERE s.user_id = u.id OR u.score IS NULL;\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "0002_b.up.sql"), []byte("-- lockstep:batch key=\"Id\"\nDELETE FROM sessions;\n"), 0o644)
	ms, err := Load(context.Background(), os.DirFS(dir), "m", lint.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := ms[0].Batch
	if ms[0].Phase != lint.Backfill || b.Key != "id" || b.Size != 50 || len(b.Prelude) != 1 {
		t.Fatalf("batch = %+v, phase %s", b, ms[0].Phase)
	}
	first, next, err := b.rangeStatements("bigint")
	if err != nil {
		t.Fatal(err)
	}
	wantFirst := `UPDATE ONLY app.users u SET score = s.total FROM scores s WHERE u.id <= $1::text::bigint AND (s.user_id = u.id OR u.score IS NULL)`
	wantNext := `UPDATE ONLY app.users u SET score = s.total FROM scores s WHERE (u.id > $1::text::bigint AND u.id <= $2::text::bigint) AND (s.user_id = u.id OR u.score IS NULL)`
	if first != wantFirst || next != wantNext {
		t.Errorf("rangeStatements =\n %s\n %s\nwant\n %s\n %s", first, next, wantFirst, wantNext)
	}
	if got := b.boundsSQL("bigint", false); !strings.Contains(got, `FROM ONLY "app"."users" WHERE "id" > $1::text::bigint ORDER BY "id" LIMIT $2`) {
		t.Errorf("boundsSQL = %s", got)
	}
	_, next, _ = ms[1].Batch.rangeStatements("uuid")
	if want := `DELETE FROM sessions WHERE sessions."Id" > $1::text::uuid AND sessions."Id" <= $2::text::uuid`; next != want {
		t.Errorf("DELETE next = %s; want %s", next, want)
	}
}

func TestAdapt(t *testing.T) {
	for _, tc := range []struct {
		size       int
		took, want time.Duration
		out        int
	}{
		{1000, 50 * time.Millisecond, 100 * time.Millisecond, 2000},
		{1000, 10 * time.Millisecond, 100 * time.Millisecond, 2000}, // at most doubled
		{1000, 400 * time.Millisecond, 100 * time.Millisecond, 500}, // at most halved
		{1000, 105 * time.Millisecond, 100 * time.Millisecond, 1000},
		{150, 400 * time.Millisecond, 100 * time.Millisecond, 100}, // floor
		{90000, time.Millisecond, 100 * time.Millisecond, 100000},  // ceiling
	} {
		if got := adapt(tc.size, tc.took, tc.want, 100, 100000); got != tc.out {
			t.Errorf("adapt(%d, %s, %s) = %d; want %d", tc.size, tc.took, tc.want, got, tc.out)
		}
	}
}

// itemsFixture has a table of n rows and a non-idempotent batched bump.
func itemsFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := newFixture(t)
	f.write("0001_items.up.sql", "CREATE TABLE items (id bigint PRIMARY KEY, n int NOT NULL DEFAULT 0);\n")
	f.mustRun("v1", lint.Expand)
	f.exec(fmt.Sprintf(`INSERT INTO items (id) SELECT g FROM generate_series(1, %d) g`, n))
	f.write("0002_bump.up.sql", "-- lockstep:batch key=id size=500\nUPDATE items SET n = n + 1;\n")
	return f
}

func (f *fixture) checkBumpedOnce(total int64) {
	f.t.Helper()
	if bad := f.scalar(`SELECT count(*) FROM items WHERE n <> 1`).(int64); bad != 0 {
		f.t.Fatalf("%d rows were not updated exactly once", bad)
	}
	if done := f.scalar(`SELECT rows_done FROM lockstep.backfills WHERE version = 2`).(int64); done != total {
		f.t.Errorf("checkpoint rows_done = %d; want %d", done, total)
	}
	if v, dirty := f.version("schema_migrations_backfill"); v != 2 || dirty {
		f.t.Errorf("schema_migrations_backfill = %d dirty=%v; want 2 clean", v, dirty)
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// lockstepBinary builds the real lockstep command once per test run.
func lockstepBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lockstep-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "lockstep")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/lockstep").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// The real binary, killed with SIGKILL three times mid-backfill, then run to
// the end: every row is updated exactly once.
func TestBackfillKilledAndResumed(t *testing.T) {
	bin := lockstepBinary(t)
	const rows = 120000
	f := itemsFixture(t, rows)
	cfgPath := filepath.Join(t.TempDir(), "lockstep.yaml")
	os.WriteFile(cfgPath, []byte("migrations:\n  backfill:\n    max_batch_size: 800\n    target_batch_duration: 20ms\n"), 0o644)
	args := []string{"migrate", "backfill", "--release", "v1", "--database", f.url, "--dir", f.dir, "--config", cfgPath}
	done := func() int64 {
		return f.scalar(`SELECT coalesce((SELECT rows_done FROM lockstep.backfills WHERE version = 2), 0)`).(int64)
	}
	for i, at := range []int64{15000, 45000, 80000} {
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return done() >= at })
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		t.Logf("run %d, killed at %d rows:\n%s", i+1, done(), out.String())
		if i > 0 && !strings.Contains(out.String(), "0002_bump: resuming after id=") {
			t.Errorf("run %d did not resume from the checkpoint", i+1)
		}
		// Whatever the kill interrupted rolled back; nothing is dirty.
		if n := f.scalar(`SELECT count(*) FROM items WHERE n = 1`).(int64); n != done() {
			// The killed backend may still be finishing its statement: its
			// transaction rolls back when it reads the closed socket.
			waitFor(t, func() bool { return f.scalar(`SELECT count(*) FROM items WHERE n = 1`).(int64) == done() })
		}
		if bad := f.scalar(`SELECT count(*) FROM items WHERE n > 1`).(int64); bad != 0 {
			t.Fatalf("after kill %d: %d rows updated twice", i+1, bad)
		}
	}
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	t.Logf("last run:\n%s", out)
	if err != nil {
		t.Fatalf("last run: %v", err)
	}
	f.checkBumpedOnce(rows)
}

// SIGTERM (a cancelled context) stops after the batch under way; the next
// run resumes.
func TestBackfillStopsCleanlyAndResumes(t *testing.T) {
	const rows = 20000
	f := itemsFixture(t, rows)
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	m, out, notes := f.open("v1", func(o *Options) {
		o.OnBatch = func(BatchStat) {
			if batches++; batches == 3 {
				cancel()
			}
		}
	})
	_, err := m.Run(ctx, lint.Backfill)
	t.Logf("%s%s", out, notes)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "0002_bump stopped at id=") || !strings.Contains(err.Error(), "run the same command to resume") {
		t.Fatalf("err = %v; want a clean stop", err)
	}
	b, _, _ := f.openLedger().Backfill(context.Background(), 2)
	if b.State != ledger.BackfillPaused || b.Batches != 3 {
		t.Fatalf("checkpoint = %+v; want paused after 3 batches", b)
	}
	if n := f.scalar(`SELECT count(*) FROM items WHERE n = 1`).(int64); n != b.RowsDone {
		t.Fatalf("%d rows bumped; checkpoint says %d", n, b.RowsDone)
	}
	if st := f.state("0002_bump"); st.State != StateRunning || st.Backfill == nil || st.Backfill.LastKey == "" {
		t.Errorf("status = %+v", st)
	}
	f.mustRun("v1", lint.Backfill)
	f.checkBumpedOnce(rows)
}

// The backfill pauses while another session waits for a lock longer than
// max_lock_wait, and goes on once it no longer does.
func TestBackfillPausesWhileSessionsWaitForLocks(t *testing.T) {
	ctx := context.Background()
	f := itemsFixture(t, 5000)
	lw := Duration(100 * time.Millisecond)
	f.cfg.Backfill.MaxLockWait = &lw
	f.exec(`CREATE TABLE other (id int)`)
	holder, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, "BEGIN; LOCK TABLE other IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	waiter, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close(ctx)
	go waiter.Exec(ctx, "SELECT count(*) FROM other")
	time.Sleep(300 * time.Millisecond)
	released := make(chan time.Time, 1)
	go func() {
		time.Sleep(time.Second)
		holder.Exec(ctx, "COMMIT")
		released <- time.Now()
	}()
	var first time.Time
	_, out, err := f.run("v1", lint.Backfill, func(o *Options) {
		o.OnBatch = func(BatchStat) {
			if first.IsZero() {
				first = time.Now()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if at := <-released; first.Before(at) {
		t.Errorf("a batch ran %s before the waiting session got its lock", at.Sub(first))
	}
	if !strings.Contains(out, "0002_bump: paused: 1 session waiting for a lock for up to") || !strings.Contains(out, "0002_bump: resumed after a pause") {
		t.Errorf("output:\n%s", out)
	}
	f.checkBumpedOnce(5000)
}

func TestPauseConfig(t *testing.T) {
	var c Config
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(*c.Backfill.Pause); got != DefaultPause || DefaultPause != 50*time.Millisecond {
		t.Errorf("default migrations.backfill.pause = %s (DefaultPause %s); want 50ms", got, DefaultPause)
	}
	off := Duration(0)
	c = Config{Backfill: BackfillConfig{Pause: &off}}
	if err := c.Normalize(); err != nil || *c.Backfill.Pause != 0 {
		t.Errorf("pause: 0 normalized to %v (err %v); want 0, kept", *c.Backfill.Pause, err)
	}
	neg := Duration(-time.Second)
	c = Config{Backfill: BackfillConfig{Pause: &neg}}
	if err := c.Normalize(); !errors.Is(err, fault.Usage) || !strings.Contains(err.Error(), "migrations.backfill.pause") {
		t.Errorf("pause: -1s: Normalize = %v; want a usage error naming migrations.backfill.pause", err)
	}
}

// Between two full batches the backfill rests for the pause (the header's,
// else migrations.backfill.pause), and not at all with pause=0: the next
// batch's transaction starts no sooner than the pause after the previous
// one committed.
func TestBackfillPausesBetweenBatches(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		config       *Duration
		min, max     time.Duration // bounds of every gap between two batches
	}{
		{"header", "pause=150ms", nil, 150 * time.Millisecond, time.Minute},
		{"config", "", durationPtr(150 * time.Millisecond), 150 * time.Millisecond, time.Minute},
		{"header 0 overrides config", "pause=0", durationPtr(5 * time.Second), 0, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const rows = 3000
			f := itemsFixture(t, rows)
			f.write("0002_bump.up.sql", "-- lockstep:batch key=id size=500 "+tc.header+"\nUPDATE items SET n = n + 1;\n")
			f.cfg.Backfill.MaxBatchSize = 500 // six full batches of 500
			f.cfg.Backfill.Pause = tc.config
			var ends []time.Time
			var stats []BatchStat
			if _, _, err := f.run("v1", lint.Backfill, func(o *Options) {
				o.OnBatch = func(s BatchStat) {
					ends = append(ends, time.Now())
					stats = append(stats, s)
				}
			}); err != nil {
				t.Fatal(err)
			}
			if len(stats) != rows/500 {
				t.Fatalf("%d batches; want %d", len(stats), rows/500)
			}
			for i := 1; i < len(stats); i++ {
				// The batch's transaction began Duration before it was reported.
				gap := ends[i].Add(-stats[i].Duration).Sub(ends[i-1])
				if gap < tc.min || gap > tc.max {
					t.Errorf("batch %d began %s after batch %d committed; want %s to %s", i+1, gap, i, tc.min, tc.max)
				}
			}
			f.checkBumpedOnce(rows)
		})
	}
}

// SIGTERM during a pause ends it at once: a clean stop after the last
// committed batch, every row of it changed once.
func TestBackfillStopsDuringPause(t *testing.T) {
	f := itemsFixture(t, 5000)
	f.write("0002_bump.up.sql", "-- lockstep:batch key=id size=500 pause=1h\nUPDATE items SET n = n + 1;\n")
	ctx, cancel := context.WithCancel(context.Background())
	m, _, notes := f.open("v1", func(o *Options) {
		o.OnBatch = func(BatchStat) { time.AfterFunc(100*time.Millisecond, cancel) }
	})
	t0 := time.Now()
	_, err := m.Run(ctx, lint.Backfill)
	t.Logf("%s", notes)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "0002_bump stopped at id=500 after 1 batches") {
		t.Fatalf("err = %v; want a clean stop after the first batch", err)
	}
	if took := time.Since(t0); took > 30*time.Second {
		t.Errorf("Run took %s to stop during the pause", took)
	}
	b, _, _ := f.openLedger().Backfill(context.Background(), 2)
	if b.State != ledger.BackfillPaused || b.Batches != 1 || b.RowsDone != 500 {
		t.Fatalf("checkpoint = %+v; want paused after 1 batch of 500 rows", b)
	}
	if n := f.scalar(`SELECT count(*) FROM items WHERE n = 1`).(int64); n != 500 {
		t.Fatalf("%d rows bumped; want 500", n)
	}
}

// A backfill waits for the expand that precedes it.
func TestBackfillBeforeExpandIsRefused(t *testing.T) {
	f := newFixture(t)
	f.write("0001_t.up.sql", "CREATE TABLE t (id int PRIMARY KEY, v int);\n")
	f.write("0002_fill.up.sql", "-- lockstep:batch key=id\nUPDATE t SET v = 1;\n")
	_, _, err := f.run("v1", lint.Backfill)
	if !errors.Is(err, fault.Failed) || err.Error() != "0002_fill waits for expand 0001_t: run lockstep migrate expand first" {
		t.Fatalf("err = %v", err)
	}
}
