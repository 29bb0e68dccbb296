package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// BackfillState is where a batched backfill is.
type BackfillState string

const (
	BackfillRunning BackfillState = "running"
	BackfillPaused  BackfillState = "paused" // stopped cleanly (SIGTERM, limits); resumes from LastKey
	BackfillDone    BackfillState = "done"
	BackfillFailed  BackfillState = "failed"
)

// Backfill is the checkpoint of a batched backfill.
type Backfill struct {
	Version    uint64
	KeyColumn  string
	LastKey    string // empty before the first batch
	RowsDone   int64
	Batches    int64
	BatchSize  int
	State      BackfillState
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// StartBackfill creates the checkpoint of a backfill if it does not exist
// and returns it; an existing one (a resume) is returned as it is, with
// state set back to running unless it is done.
func (l *Ledger) StartBackfill(ctx context.Context, version uint64, key string, batchSize int) (Backfill, error) {
	_, err := l.pool.Exec(ctx, `
		INSERT INTO lockstep.backfills (version, key_column, batch_size, state, started_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (version) DO UPDATE SET state = CASE WHEN backfills.state = 'done' THEN 'done' ELSE $4 END,
			updated_at = $5`, int64(version), key, batchSize, string(BackfillRunning), l.now())
	if err != nil {
		return Backfill{}, l.wrap(err, "start backfill")
	}
	b, _, err := l.Backfill(ctx, version)
	return b, err
}

// Checkpoint records a finished batch in tx, the batch's own transaction,
// so the batch and its checkpoint commit together or not at all.
func (l *Ledger) Checkpoint(ctx context.Context, tx pgx.Tx, version uint64, lastKey string, rows int64, batchSize int) error {
	_, err := tx.Exec(ctx, `
		UPDATE lockstep.backfills SET last_key = $2, rows_done = rows_done + $3, batches = batches + 1,
			batch_size = $4, updated_at = $5
		WHERE version = $1`, int64(version), lastKey, rows, batchSize, l.now())
	return err
}

// SetBackfillState records a backfill's state (done, paused, failed).
func (l *Ledger) SetBackfillState(ctx context.Context, version uint64, s BackfillState) error {
	q := `UPDATE lockstep.backfills SET state = $2, updated_at = $3`
	if s == BackfillDone {
		q += `, finished_at = $3`
	}
	_, err := l.pool.Exec(ctx, q+` WHERE version = $1`, int64(version), string(s), l.now())
	return l.wrap(err, "set backfill state")
}

// Backfill returns a backfill's checkpoint, and whether it exists.
func (l *Ledger) Backfill(ctx context.Context, version uint64) (Backfill, bool, error) {
	var b Backfill
	var v int64
	var last *string
	var st string
	err := l.pool.QueryRow(ctx, `
		SELECT version, key_column, last_key, rows_done, batches, batch_size, state, started_at, updated_at, finished_at
		FROM lockstep.backfills WHERE version = $1`, int64(version)).
		Scan(&v, &b.KeyColumn, &last, &b.RowsDone, &b.Batches, &b.BatchSize, &st, &b.StartedAt, &b.UpdatedAt, &b.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Backfill{}, false, nil
	}
	if err != nil {
		return Backfill{}, false, l.wrap(err, "read backfill")
	}
	b.Version, b.State = uint64(v), BackfillState(st)
	if last != nil {
		b.LastKey = *last
	}
	return b, true, nil
}
