package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// load is the application's traffic: point SELECTs and UPDATEs by primary
// key, at a fixed rate, served by a pool of a few connections as an
// application server would. It is an open loop: each operation has a
// scheduled start, and its latency is measured from that start, so the
// time spent waiting for a free connection while the others wait behind a
// row lock counts, as the users behind it would see (no coordinated
// omission).
type load struct {
	url    string
	rows   int64
	conns  int
	rate   float64 // operations per second
	writes float64 // share of UPDATEs
}

const (
	selectSQL = `SELECT a, b, total, hits FROM bench_items WHERE id = $1`
	updateSQL = `UPDATE bench_items SET hits = hits + 1, touched = now() WHERE id = $1`
)

type sample struct {
	at    time.Time     // the scheduled start
	lat   time.Duration // from the scheduled start to the result
	exec  time.Duration // the statement alone, once it had a connection
	write bool
}

// window is what the load saw while one thing ran.
type window struct {
	samples []sample
	took    time.Duration // how long the thing ran
	errors  int
	err     error // the first error
}

// run opens the pool, runs the load for warm unrecorded, then records
// every operation scheduled while during runs. When during returns, the
// operations already scheduled finish and are recorded, then the load
// stops.
func (l *load) run(ctx context.Context, warm time.Duration, during func(context.Context) error) (*window, error) {
	cfg, err := pgxpool.ParseConfig(l.url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns, cfg.MinConns = int32(l.conns), int32(l.conns)
	cfg.ConnConfig.RuntimeParams["application_name"] = "bench-app@load"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer pool.Close()
	// Open every connection before the first measurement.
	held := make([]*pgxpool.Conn, l.conns)
	for i := range held {
		if held[i], err = pool.Acquire(ctx); err != nil {
			return nil, fmt.Errorf("load: connect: %w", err)
		}
	}
	for _, c := range held {
		c.Release()
	}

	var from, until atomic.Int64
	from.Store(math.MaxInt64)
	until.Store(math.MaxInt64)
	out := &window{}
	var mu sync.Mutex
	record := func(at time.Time, s sample, err error) {
		if n := at.UnixNano(); n < from.Load() || n > until.Load() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			out.errors++
			if out.err == nil {
				out.err = err
			}
			return
		}
		out.samples = append(out.samples, s)
	}
	op := func(at time.Time, id int64, write bool) {
		c, err := pool.Acquire(ctx)
		if err != nil {
			record(at, sample{}, err)
			return
		}
		defer c.Release()
		t0 := time.Now()
		if write {
			_, err = c.Exec(ctx, updateSQL, id)
		} else {
			var a, b, hits int32
			var total *int32
			err = c.QueryRow(ctx, selectSQL, id).Scan(&a, &b, &total, &hits)
		}
		now := time.Now()
		record(at, sample{at: at, lat: now.Sub(at), exec: now.Sub(t0), write: write}, err)
	}

	interval := time.Duration(float64(time.Second) / l.rate)
	start := time.Now()
	var ops sync.WaitGroup
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		rng := rand.New(rand.NewPCG(1, 0x6c6f636b))
		for k := 0; ; k++ {
			at := start.Add(time.Duration(k) * interval)
			if at.UnixNano() > until.Load() || ctx.Err() != nil {
				return
			}
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			id, write := rng.Int64N(l.rows)+1, rng.Float64() < l.writes
			ops.Add(1)
			go func() {
				defer ops.Done()
				op(at, id, write)
			}()
		}
	}()
	stop := func() {
		until.Store(min(until.Load(), time.Now().UnixNano()))
		<-dispatched
		ops.Wait()
	}
	select {
	case <-time.After(warm):
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
	t0 := time.Now()
	from.Store(t0.UnixNano())
	err = during(ctx)
	out.took = time.Since(t0)
	stop()
	return out, err
}

// latencies returns the window's latencies from the scheduled starts,
// sorted; kind is "all", "select", "update" or "exec" (all, the statement
// alone).
func (w *window) latencies(kind string) []time.Duration {
	var d []time.Duration
	for _, s := range w.samples {
		switch {
		case kind == "exec":
			d = append(d, s.exec)
		case kind == "all" || (kind == "update") == s.write:
			d = append(d, s.lat)
		}
	}
	slices.Sort(d)
	return d
}

// percentile is the nearest-rank q-quantile of sorted durations (0 for
// none).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
