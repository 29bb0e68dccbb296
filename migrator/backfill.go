package migrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
)

// BatchStat describes one committed backfill batch.
type BatchStat struct {
	Migration *Migration
	// Keys is how many keys the batch's range spans; Rows how many rows
	// the statement changed.
	Keys, Rows int64
	// Size is the batch size asked for; Duration the whole transaction.
	Size     int
	Duration time.Duration
	LastKey  string
}

// backfill runs a batched file: key range after key range, each in a short
// transaction of its own that also writes the checkpoint, so a batch is
// applied exactly once even across kill -9; it resumes from the ledger's
// checkpoint, adapts the batch size to the target duration, rests between
// batches (pause), pauses while the database is strained, and on
// cancellation (SIGTERM) stops after the batch under way. The last transaction writes the stream's version and
// marks the migration applied with the checkpoint "done".
func (m *Migrator) backfill(ctx context.Context, f *Migration, st *stream) (Applied, error) {
	b := f.Batch
	a := Applied{Migration: f}
	start := time.Now()
	conn, err := m.connect(ctx)
	if err != nil {
		return a, m.classify(err, "connect for "+f.Label)
	}
	defer conn.Close(context.Background())

	keyType, err := m.keyColumn(ctx, conn, f)
	if err != nil {
		return a, err
	}
	first, next, err := b.rangeStatements(keyType)
	if err != nil {
		return a, fault.Errorf(fault.Input, "%s:%d: cannot add the key range to the statement: %v", f.Path, b.Line, err)
	}
	m.o.Logger.Debug("backfill statements", "migration", f.Label, "first", first, "next", next)
	cp, err := m.l.StartBackfill(ctx, f.Version, b.Key, b.Size)
	if err != nil {
		return a, m.classify(err, "start "+f.Label)
	}
	size := b.Size
	last := cp.LastKey
	if last != "" {
		a.Resumed = true
		if cp.BatchSize > 0 {
			size = cp.BatchSize
		}
		fmt.Fprintf(m.o.Notes, "%s: resuming after %s=%s (%d rows in %d batches done)\n", f.Label, b.Key, last, cp.RowsDone, cp.Batches)
	}
	var total int64
	if last == "" {
		err = conn.QueryRow(ctx, b.remainingSQL(keyType, true)).Scan(&total)
	} else {
		err = conn.QueryRow(ctx, b.remainingSQL(keyType, false), last).Scan(&total)
	}
	if err != nil {
		return a, m.batchErr(ctx, f, err, "count the rows")
	}
	target := durationOf(m.cfg.Backfill.TargetBatchDuration)
	if b.Target > 0 {
		target = b.Target
	}
	var pause time.Duration
	if p := m.cfg.Backfill.Pause; p != nil {
		pause = time.Duration(*p)
	}
	if b.Pause != nil {
		pause = *b.Pause
	}
	prog := newProgress(m.o.Notes, m.o.TTY, f.Label, total, durationOf(m.cfg.Backfill.LogEvery))
	defer prog.close()
	th := &throttle{m: m}
	batches := 0
	for {
		if err := ctx.Err(); err != nil {
			return a, m.stopBackfill(f, last, a.Rows, batches, err)
		}
		if err := th.wait(ctx, f); err != nil {
			return a, m.stopBackfill(f, last, a.Rows, batches, err)
		}
		// The batch under way finishes even when ctx is cancelled.
		bctx := context.WithoutCancel(ctx)
		var stat BatchStat
		done := false
		err := m.retry(ctx, f, unit{tx: true}, func(context.Context) error {
			t0 := time.Now()
			tx, err := conn.Begin(bctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(bctx)
			for _, s := range b.Prelude {
				if _, err := tx.Exec(bctx, s); err != nil {
					return err
				}
			}
			var upper string
			var keys int64
			if last == "" {
				err = tx.QueryRow(bctx, b.boundsSQL(keyType, true), size).Scan(&upper, &keys)
			} else {
				err = tx.QueryRow(bctx, b.boundsSQL(keyType, false), last, size).Scan(&upper, &keys)
			}
			if errors.Is(err, pgx.ErrNoRows) {
				if err := m.l.FinishBackfill(bctx, tx, f.Version); err != nil {
					return err
				}
				if err := m.finish(bctx, tx, f, st, time.Since(start)); err != nil {
					return err
				}
				done = true
				return tx.Commit(bctx)
			}
			if err != nil {
				return err
			}
			var tag interface{ RowsAffected() int64 }
			if last == "" {
				tag, err = tx.Exec(bctx, first, upper)
			} else {
				tag, err = tx.Exec(bctx, next, last, upper)
			}
			if err != nil {
				return stmtErr{nil, err}
			}
			rows := tag.RowsAffected()
			if err := m.l.Checkpoint(bctx, tx, f.Version, upper, rows, size); err != nil {
				return err
			}
			if err := tx.Commit(bctx); err != nil {
				return err
			}
			stat = BatchStat{Migration: f, Keys: keys, Rows: rows, Size: size, Duration: time.Since(t0), LastKey: upper}
			return nil
		})
		if err != nil {
			if errors.Is(err, fault.Failed) && !errors.Is(err, context.Canceled) && !connectionLost(err) {
				_ = m.l.SetBackfillState(context.WithoutCancel(ctx), f.Version, ledger.BackfillFailed)
			}
			return a, m.batchErr(ctx, f, err, fmt.Sprintf("batch %d", batches+1))
		}
		if done {
			prog.finish()
			a.Duration = time.Since(start)
			return a, nil
		}
		batches++
		last = stat.LastKey
		a.Rows += stat.Rows
		prog.add(stat.Keys, stat.Rows, size, stat.Duration)
		if m.o.OnBatch != nil {
			m.o.OnBatch(stat)
		}
		size = adapt(size, stat.Duration, target, min(m.cfg.Backfill.MinBatchSize, b.Size), max(m.cfg.Backfill.MaxBatchSize, b.Size))
		// Rest before the next batch, so that the application has the
		// database to itself between batches; not after a short batch, which
		// reached the end of the table, so the last transaction follows.
		if pause > 0 && stat.Keys >= int64(stat.Size) {
			if err := sleep(ctx, pause); err != nil {
				return a, m.stopBackfill(f, last, a.Rows, batches, err)
			}
		}
	}
}

// sleep waits for d or until ctx ends, whichever comes first, and returns
// ctx's error in the second case.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// adapt scales the batch size toward the target duration: at most doubled
// or halved per batch, within [min, max].
func adapt(size int, took, target time.Duration, lo, hi int) int {
	if took <= 0 {
		took = time.Millisecond
	}
	f := float64(target) / float64(took)
	switch {
	case f > 2:
		f = 2
	case f < 0.5:
		f = 0.5
	case f > 0.9 && f < 1.1:
		f = 1
	}
	n := int(float64(size) * f)
	return min(max(n, lo), hi)
}

// stopBackfill records a clean stop (SIGTERM, a cancelled job) as paused.
func (m *Migrator) stopBackfill(f *Migration, last string, rows int64, batches int, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.l.SetBackfillState(ctx, f.Version, ledger.BackfillPaused)
	at := "before its first batch"
	if last != "" {
		at = fmt.Sprintf("at %s=%s", f.Batch.Key, last)
	}
	return fmt.Errorf("%s stopped %s after %d batches (%d rows) this run: run the same command to resume: %w", f.Label, at, batches, rows, cause)
}

func (m *Migrator) batchErr(ctx context.Context, f *Migration, err error, doing string) error {
	if fault.KindOf(err) != nil || errors.Is(err, context.Canceled) {
		return err
	}
	if connectionLost(err) {
		return m.gone(err, f.Label+" "+doing)
	}
	return m.classify(err, f.Label+" "+doing)
}

// keyColumn checks the batch key and returns its type; it warns when the
// key is nullable (rows with a NULL key are never reached) or has no index
// (every batch would scan the table).
func (m *Migrator) keyColumn(ctx context.Context, conn *pgx.Conn, f *Migration) (string, error) {
	b := f.Batch
	var typ string
	var notNull, indexed, exists bool
	err := conn.QueryRow(ctx, `
		SELECT to_regclass($1) IS NOT NULL`, b.tableSQL()).Scan(&exists)
	if err != nil {
		return "", m.classify(err, f.Label)
	}
	if !exists {
		return "", fault.Errorf(fault.Failed, "%s:%d: lockstep:batch: table %s does not exist", f.Path, b.Line, b.tableSQL())
	}
	err = conn.QueryRow(ctx, `
		SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull,
			EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indkey[0] = a.attnum AND i.indisvalid)
		FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
		b.tableSQL(), b.Key).Scan(&typ, &notNull, &indexed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fault.Errorf(fault.Usage, "%s:%d: lockstep:batch key=%s: table %s has no column %s", f.Path, b.Line, b.Key, b.tableSQL(), b.Key)
	}
	if err != nil {
		return "", m.classify(err, f.Label)
	}
	if !notNull {
		fmt.Fprintf(m.o.Notes, "%s: warning: key %s is nullable: rows whose %s is NULL are not backfilled\n", f.Label, b.Key, b.Key)
	}
	if !indexed {
		fmt.Fprintf(m.o.Notes, "%s: warning: no index starts with %s: every batch scans %s\n", f.Label, b.Key, b.tableSQL())
	}
	return typ, nil
}

// throttle pauses a backfill while replicas lag or sessions wait for locks
// longer than the limits.
type throttle struct {
	m      *Migrator
	paused time.Time
}

// wait returns at once when nothing is strained, else when it no longer
// is; only ctx ends a pause.
func (t *throttle) wait(ctx context.Context, f *Migration) error {
	for {
		why, err := t.check(ctx)
		if err != nil {
			return t.m.batchErr(ctx, f, err, "check replication lag and lock waits")
		}
		if why == "" {
			if !t.paused.IsZero() {
				fmt.Fprintf(t.m.o.Notes, "%s: resumed after a pause of %s\n", f.Label, time.Since(t.paused).Round(100*time.Millisecond))
				t.paused = time.Time{}
			}
			return nil
		}
		if t.paused.IsZero() {
			t.paused = time.Now()
			fmt.Fprintf(t.m.o.Notes, "%s: paused: %s\n", f.Label, why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(t.poll()):
		}
	}
}

func (t *throttle) poll() time.Duration {
	p := time.Second
	if lw := t.m.cfg.Backfill.MaxLockWait; lw != nil && *lw > 0 && time.Duration(*lw) < p {
		p = time.Duration(*lw)
	}
	return max(p, 50*time.Millisecond)
}

// check returns why the backfill should pause now, or "".
func (t *throttle) check(ctx context.Context) (string, error) {
	cfg := t.m.cfg.Backfill
	pool := t.m.l.Pool()
	if cfg.MaxReplicationLag != nil && *cfg.MaxReplicationLag > 0 {
		var lag float64
		if err := pool.QueryRow(ctx, `SELECT coalesce(max(extract(epoch FROM replay_lag)), 0)::float8 FROM pg_stat_replication`).Scan(&lag); err != nil {
			return "", err
		}
		if limit := time.Duration(*cfg.MaxReplicationLag); lag > limit.Seconds() {
			return fmt.Sprintf("replication lag %.1fs is above max_replication_lag %s", lag, limit), nil
		}
	}
	if cfg.MaxLockWait != nil && *cfg.MaxLockWait > 0 {
		var n int
		var longest float64
		err := pool.QueryRow(ctx, `
			SELECT count(*), coalesce(max(extract(epoch FROM now() - query_start)), 0)::float8 FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND state = 'active'
				AND now() - query_start > make_interval(secs => $1::float8)`, time.Duration(*cfg.MaxLockWait).Seconds()).Scan(&n, &longest)
		if err != nil {
			return "", err
		}
		if n > 0 {
			return fmt.Sprintf("%s waiting for a lock for up to %.1fs (max_lock_wait %s)", plural(n, "session", "sessions"), longest, time.Duration(*cfg.MaxLockWait)), nil
		}
	}
	return "", nil
}
