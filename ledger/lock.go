package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// RunnerLockKey is the advisory lock one lockstep runner holds at a time
// per database (migrations, backfills, rollouts that change the ledger).
const RunnerLockKey int64 = 0x6c6f636b7374 // "lockst"

// Lock takes the runner's advisory lock on a connection of its own, waiting
// up to wait (polling, so the wait is bounded even if the holder never lets
// go). It returns a function that releases it. When the wait runs out the
// error is fault.Unavailable naming the session that holds it.
func (l *Ledger) Lock(ctx context.Context, key int64, wait time.Duration) (unlock func(), err error) {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, l.wrap(err, "acquire a connection for the runner lock")
	}
	deadline := time.Now().Add(wait)
	delay := 50 * time.Millisecond
	for {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
			conn.Release()
			return nil, l.wrap(err, "take the runner lock")
		}
		if ok {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key)
				conn.Release()
			}, nil
		}
		if time.Now().After(deadline) {
			holder := l.lockHolder(ctx, key)
			conn.Release()
			return nil, fault.Errorf(fault.Unavailable, "another lockstep runner holds the lock%s; gave up after waiting %s (--lock-wait)", holder, wait)
		}
		select {
		case <-ctx.Done():
			conn.Release()
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		if delay < time.Second {
			delay *= 2
		}
	}
}

func (l *Ledger) lockHolder(ctx context.Context, key int64) string {
	var pid int
	var app, since string
	err := l.pool.QueryRow(ctx, `
		SELECT a.pid, a.application_name, coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'), '')
		FROM pg_locks k JOIN pg_stat_activity a ON a.pid = k.pid
		WHERE k.locktype = 'advisory' AND k.granted AND ((k.classid::bigint << 32) | k.objid::bigint) = $1
		LIMIT 1`, key).Scan(&pid, &app, &since)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (pid %d, %q, connected since %s)", pid, app, since)
}
