// Command backfill measures lockstep's batched backfill against one plain
// UPDATE of the same rows, both under the same concurrent read/write load:
//
//	go run ./bench/backfill [-database URL] [-rows 1000000] [-rate 1000] ...
//
// It creates a table of -rows rows and runs, with the load going:
//
//	(a) nothing: the load's latency without a backfill (the baseline, in
//	    two windows, before (b) and before (c), pooled, so that a drift of
//	    the machine's other work weighs on both sides alike);
//	(b) UPDATE bench_items SET total = a + b, one statement, autocommit;
//	(c) the same statement as a `-- lockstep:batch key=id` migration,
//	    through migrator.Open and Run(backfill), which is what
//	    `lockstep migrate backfill` runs.
//
// The table is dropped and created again between (b) and (c), so both
// start from the same rows and do the same work. It prints the load's
// latency in each window, the throughput of (b) and (c), the batches'
// durations as the migrator reports them (Options.OnBatch), and the three
// ratios of the issue with their targets. Without -database it starts a
// throwaway PostgreSQL from the machine's binaries (internal/pgtest);
// with one (or LOCKSTEP_TEST_DATABASE_URL), it creates a database of its
// own on that server and drops it at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	database string
	rows     int64
	conns    int
	rate     float64
	writes   float64
	baseline time.Duration
	warm     time.Duration
	size     int
	target   time.Duration
	pause    time.Duration
	strict   bool

	batchesCSV string
}

// The targets.
const (
	wantThroughput = 0.5
	wantBatchP99   = 200 * time.Millisecond
	wantLoadP99    = 1.2
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.database, "database", getenv(pgtest.EnvURL), "a PostgreSQL server to use (a database is created on it and dropped); default: start a throwaway one")
	fs.Int64Var(&o.rows, "rows", 1_000_000, "rows in the table")
	fs.IntVar(&o.conns, "conns", 4, "connections of the load")
	fs.Float64Var(&o.rate, "rate", 1000, "operations per second of the load, all connections together")
	fs.Float64Var(&o.writes, "writes", 0.2, "share of the load's operations that are UPDATEs (the rest are SELECTs)")
	fs.DurationVar(&o.baseline, "baseline", 10*time.Second, "how long the load runs alone, for the baseline, before (b) and again before (c)")
	fs.StringVar(&o.batchesCSV, "batches", "", "write each backfill batch (size, keys, rows, duration) to this CSV file")
	fs.DurationVar(&o.warm, "warm", 2*time.Second, "unrecorded load before each window")
	fs.IntVar(&o.size, "size", 5000, "the batch header's size= (the first batch's keys; lockstep adapts it)")
	fs.DurationVar(&o.target, "target", 0, "the batch header's target= (0: lockstep's default, migrations.backfill.target_batch_duration)")
	fs.DurationVar(&o.pause, "pause", -1, "the batch header's pause= (negative: lockstep's default, migrations.backfill.pause)")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "backfill: unexpected argument %q (flags only; -h lists them)\n", fs.Arg(0))
		return 2
	}
	if o.rows < 1 || o.conns < 1 || o.rate <= 0 || o.writes < 0 || o.writes > 1 || o.size < 1 || o.size > migrator.MaxBatchSize {
		fmt.Fprintln(stderr, "backfill: -rows, -conns, -rate and -size must be positive (size at most 1000000), -writes from 0 to 1")
		return 2
	}
	missed, err := bench(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "backfill: %v\n", err)
		switch fault.KindOf(err) {
		case fault.Usage:
			return 2
		case fault.Input:
			return 3
		case fault.Unavailable:
			return 4
		}
		return 1
	}
	if missed > 0 && o.strict {
		return 1
	}
	return 0
}

// phase is one measured window.
type phase struct {
	name string
	load *window
	rows int64 // rows the statement changed; 0 for the baseline
	took time.Duration
}

func bench(ctx context.Context, o options, stdout, stderr io.Writer) (int, error) {
	server := o.database
	if server == "" {
		fmt.Fprintln(stderr, "starting a throwaway PostgreSQL (internal/pgtest)...")
		u, stop, err := startServer()
		if err != nil {
			return 0, err
		}
		defer stop()
		server = u
	}
	dbURL, drop, err := createDatabase(ctx, server)
	if err != nil {
		return 0, err
	}
	defer drop()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, fault.Wrap(fault.Unavailable, err, "connect")
	}
	defer conn.Close(context.Background())
	var version string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version')`).Scan(&version); err != nil {
		return 0, err
	}

	l := &load{url: dbURL, rows: o.rows, conns: o.conns, rate: o.rate, writes: o.writes}
	fmt.Fprintf(stdout, "bench/backfill: %s rows, PostgreSQL %s, %d cores; load: %.0f ops/s on %d connections (%.0f%% point UPDATE, %.0f%% point SELECT by id), latency from each operation's scheduled start\n\n",
		thousands(o.rows), version, runtime.NumCPU(), o.rate, o.conns, 100*o.writes, 100*(1-o.writes))

	if err := createTable(ctx, conn, o.rows, stderr); err != nil {
		return 0, err
	}
	alone := func(ctx context.Context) error {
		select {
		case <-time.After(o.baseline):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fmt.Fprintf(stderr, "(a) the load alone for %s...\n", o.baseline)
	a, err := l.run(ctx, o.warm, alone)
	if err != nil {
		return 0, fmt.Errorf("(a) baseline: %w", err)
	}
	pa := phase{name: "(a) no backfill", load: a, took: a.took}

	const change = `UPDATE bench_items SET total = a + b`
	fmt.Fprintf(stderr, "(b) %s, one statement, under the load...\n", change)
	pb := phase{name: "(b) one UPDATE"}
	b, err := l.run(ctx, o.warm, func(ctx context.Context) error {
		t0 := time.Now()
		tag, err := conn.Exec(ctx, change)
		pb.took, pb.rows = time.Since(t0), tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("(b) single UPDATE: %w", err)
	}
	pb.load = b
	if err := verify(ctx, conn, o.rows, pb.rows); err != nil {
		return 0, fmt.Errorf("(b) single UPDATE: %w", err)
	}

	if err := createTable(ctx, conn, o.rows, stderr); err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "lockstep-bench-migrations-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	header := fmt.Sprintf("-- lockstep:batch key=id size=%d", o.size)
	if o.target > 0 {
		header += " target=" + o.target.String()
	}
	if o.pause >= 0 {
		header += " pause=" + o.pause.String()
	}
	file := header + "\n" + change + ";\n"
	if err := os.WriteFile(filepath.Join(dir, "0001_backfill_total.up.sql"), []byte(file), 0o644); err != nil {
		return 0, err
	}
	var batches []migrator.BatchStat
	var spans []span
	m, err := migrator.Open(ctx, migrator.Options{
		DatabaseURL: dbURL, FS: os.DirFS(dir), Dir: dir, Release: "bench", Actor: "bench/backfill",
		Lint: lint.DefaultConfig(), Notes: prefixed(stderr, "    lockstep: "),
		OnBatch: func(s migrator.BatchStat) {
			end := time.Now()
			batches = append(batches, s)
			spans = append(spans, span{end.Add(-s.Duration), end})
		},
	})
	if err != nil {
		return 0, fmt.Errorf("(c) open the migrator: %w", err)
	}
	defer m.Close()
	fmt.Fprintf(stderr, "(a) the load alone again for %s...\n", o.baseline)
	a2, err := l.run(ctx, o.warm, alone)
	if err != nil {
		return 0, fmt.Errorf("(a) baseline: %w", err)
	}
	pa.load.samples = append(pa.load.samples, a2.samples...)
	pa.load.errors += a2.errors
	pa.took += a2.took
	if pa.load.err == nil {
		pa.load.err = a2.err
	}
	fmt.Fprintf(stderr, "(c) the same change as a migration (%s), lockstep migrate backfill under the load...\n", header)
	pc := phase{name: "(c) lockstep backfill"}
	c, err := l.run(ctx, o.warm, func(ctx context.Context) error {
		t0 := time.Now()
		res, err := m.Run(ctx, lint.Backfill)
		pc.took = time.Since(t0)
		if res != nil {
			for _, ap := range res.Applied {
				pc.rows += ap.Rows
			}
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("(c) lockstep backfill: %w", err)
	}
	pc.load = c
	if err := verify(ctx, conn, o.rows, pc.rows); err != nil {
		return 0, fmt.Errorf("(c) lockstep backfill: %w", err)
	}
	var ledgerRows, ledgerBatches int64
	var state string
	var ledgerSecs float64
	err = conn.QueryRow(ctx, `SELECT rows_done, batches, state, extract(epoch FROM finished_at - started_at)::float8 FROM lockstep.backfills WHERE version = 1`).
		Scan(&ledgerRows, &ledgerBatches, &state, &ledgerSecs)
	if err != nil {
		return 0, fmt.Errorf("(c) read the ledger's checkpoint: %w", err)
	}
	if ledgerRows != pc.rows || int(ledgerBatches) != len(batches) || state != "done" {
		return 0, fmt.Errorf("(c) the ledger says %d rows in %d batches (%s); the migrator reported %d rows in %d batches", ledgerRows, ledgerBatches, state, pc.rows, len(batches))
	}

	if o.batchesCSV != "" {
		if err := writeBatches(o.batchesCSV, batches); err != nil {
			return 0, err
		}
	}
	fmt.Fprintln(stdout)
	missed := report(stdout, o, []phase{pa, pb, pc}, batches, ledgerSecs)
	in, out := split(pc.load.samples, spans)
	fmt.Fprintf(stdout, "(c) load p99 while a batch runs %s (%d ops; SELECT %s, UPDATE %s), between batches %s (%d ops)\n",
		ms(percentile(in.latencies("all"), 0.99)), len(in.samples), ms(percentile(in.latencies("select"), 0.99)),
		ms(percentile(in.latencies("update"), 0.99)), ms(percentile(out.latencies("all"), 0.99)), len(out.samples))
	return missed, nil
}

// createTable (re)creates the table of rows rows, vacuumed and analysed,
// so (b) and (c) start from the same state.
func createTable(ctx context.Context, conn *pgx.Conn, rows int64, stderr io.Writer) error {
	t0 := time.Now()
	for _, s := range []string{
		`DROP TABLE IF EXISTS bench_items`,
		`CREATE TABLE bench_items (id bigint NOT NULL, a int NOT NULL, b int NOT NULL, total int,
			hits int NOT NULL DEFAULT 0, touched timestamptz, note text NOT NULL)`,
		fmt.Sprintf(`INSERT INTO bench_items (id, a, b, note) SELECT g, g %% 1000, g %% 7, md5(g::text) FROM generate_series(1, %d) g`, rows),
		`ALTER TABLE bench_items ADD PRIMARY KEY (id)`,
		`VACUUM (ANALYZE) bench_items`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("create the table: %s: %w", strings.Fields(s)[0], err)
		}
	}
	// A superuser (the throwaway server) starts each run without dirty
	// buffers; elsewhere this may be refused, which only costs fairness.
	_, _ = conn.Exec(ctx, `CHECKPOINT`)
	var size string
	if err := conn.QueryRow(ctx, `SELECT pg_size_pretty(pg_total_relation_size('bench_items'))`).Scan(&size); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "table bench_items: %s rows, %s, created in %s\n", thousands(rows), size, time.Since(t0).Round(100*time.Millisecond))
	return nil
}

// writeBatches writes the backfill's batches as CSV, one line each.
func writeBatches(path string, batches []migrator.BatchStat) error {
	var b strings.Builder
	b.WriteString("batch,size,keys,rows,duration_ms\n")
	for i, s := range batches {
		fmt.Fprintf(&b, "%d,%d,%d,%d,%.1f\n", i+1, s.Size, s.Keys, s.Rows, float64(s.Duration)/1e6)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// verify checks the change reached every row once.
func verify(ctx context.Context, conn *pgx.Conn, rows, changed int64) error {
	var wrong int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM bench_items WHERE total IS DISTINCT FROM a + b`).Scan(&wrong); err != nil {
		return err
	}
	if wrong != 0 || changed != rows {
		return fmt.Errorf("%d rows changed of %d, %d left unchanged", changed, rows, wrong)
	}
	return nil
}

// report prints the windows side by side and the ratios; it returns the
// number of targets missed.
func report(w io.Writer, o options, ps []phase, batches []migrator.BatchStat, ledgerSecs float64) int {
	fmt.Fprintf(w, "%-22s %7s %9s %8s %9s %9s %10s %10s %9s %9s %6s\n",
		"", "took", "rows/s", "load ops", "load p50", "load p99", "p99 SELECT", "p99 UPDATE", "p99 exec", "load max", "errors")
	rps := func(p phase) float64 { return float64(p.rows) / p.took.Seconds() }
	for _, p := range ps {
		all := p.load.latencies("all")
		rate := "-"
		if p.rows > 0 {
			rate = thousands(int64(rps(p)))
		}
		fmt.Fprintf(w, "%-22s %7s %9s %8d %9s %9s %10s %10s %9s %9s %6d\n", p.name, secs(p.took), rate, len(all),
			ms(percentile(all, 0.5)), ms(percentile(all, 0.99)), ms(percentile(p.load.latencies("select"), 0.99)),
			ms(percentile(p.load.latencies("update"), 0.99)), ms(percentile(p.load.latencies("exec"), 0.99)),
			ms(percentile(all, 1)), p.load.errors)
	}
	for _, p := range ps {
		if p.load.err != nil {
			fmt.Fprintf(w, "%s: first load error: %v\n", p.name, p.load.err)
		}
	}

	durs := make([]time.Duration, len(batches))
	lo, hi := o.size, o.size
	for i, b := range batches {
		durs[i] = b.Duration
		lo, hi = min(lo, b.Size), max(hi, b.Size)
	}
	sorted := slices.Sorted(slices.Values(durs))
	fmt.Fprintf(w, "\nlockstep: %d batches of %s to %s keys (header size=%d); batch duration p50 %s, p99 %s, max %s; ledger: %s from start to done\n",
		len(batches), thousands(int64(lo)), thousands(int64(hi)), o.size, ms(percentile(sorted, 0.5)), ms(percentile(sorted, 0.99)),
		ms(percentile(sorted, 1)), secs(time.Duration(ledgerSecs*float64(time.Second))))

	a, b, c := ps[0], ps[1], ps[2]
	tp := rps(c) / rps(b)
	bp99 := percentile(sorted, 0.99)
	lp := float64(percentile(c.load.latencies("all"), 0.99)) / float64(percentile(a.load.latencies("all"), 0.99))
	missed := 0
	verdict := func(ok bool) string {
		if ok {
			return "PASS"
		}
		missed++
		return "MISS"
	}
	fmt.Fprintf(w, "\n%-46s %10s %10s  %s\n", "", "measured", "target", "")
	fmt.Fprintf(w, "%-46s %10.2f %10s  %s\n", "backfill rows/s / single UPDATE rows/s", tp, fmt.Sprintf(">= %.1f", wantThroughput), verdict(tp >= wantThroughput))
	fmt.Fprintf(w, "%-46s %10s %10s  %s\n", "p99 batch duration", ms(bp99), "<= "+ms(wantBatchP99), verdict(bp99 <= wantBatchP99))
	fmt.Fprintf(w, "%-46s %10.2f %10s  %s\n", "load p99 during backfill / load p99 without", lp, fmt.Sprintf("<= %.1f", wantLoadP99), verdict(lp <= wantLoadP99))
	fmt.Fprintf(w, "%-46s %10.2f\n", "(for comparison) load p99 during one UPDATE / without",
		float64(percentile(b.load.latencies("all"), 0.99))/float64(percentile(a.load.latencies("all"), 0.99)))
	fmt.Fprintf(w, "\nresult throughput_ratio=%.2f batch_p99_ms=%.1f load_p99_ratio=%.2f missed=%d\n", tp, float64(bp99)/1e6, lp, missed)
	return missed
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0f ms", float64(d)/1e6)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// thousands writes n with commas: 1,000,000.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// prefixed writes each line to w after prefix.
func prefixed(w io.Writer, prefix string) io.Writer {
	return &prefixWriter{w: w, prefix: prefix, bol: true}
}

type prefixWriter struct {
	w      io.Writer
	prefix string
	bol    bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if p.bol {
			if _, err := io.WriteString(p.w, p.prefix); err != nil {
				return 0, err
			}
			p.bol = false
		}
		i := strings.IndexAny(string(b), "\n\r")
		if i < 0 {
			_, err := p.w.Write(b)
			return n, err
		}
		if _, err := p.w.Write(b[:i+1]); err != nil {
			return 0, err
		}
		p.bol = true
		b = b[i+1:]
	}
	return n, nil
}

// span is when one batch's transaction ran.
type span struct{ from, to time.Time }

// split sorts the latencies of the load's operations into those scheduled
// while a batch ran and those scheduled between batches: it shows whether
// the load's tail comes from the batches themselves (CPU, I/O, row locks)
// or from what lockstep does around them.
func split(samples []sample, spans []span) (inside, between window) {
	for _, s := range samples {
		i, _ := slices.BinarySearchFunc(spans, s.at, func(sp span, t time.Time) int { return sp.to.Compare(t) })
		if i < len(spans) && !s.at.Before(spans[i].from) {
			inside.samples = append(inside.samples, s)
		} else {
			between.samples = append(between.samples, s)
		}
	}
	return inside, between
}
