package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run is the progress of a migration that commits in several units (a file
// holding CREATE INDEX CONCURRENTLY, or several transaction blocks): how
// many of its units committed. It exists from the first unit until the
// migration is marked applied.
type Run struct {
	Version   uint64
	Release   string
	Units     int
	UnitsDone int
	StartedAt time.Time
	UpdatedAt time.Time
}

// StartRun records, in tx, that release started a migration of units
// units. A run that exists already (a resume) is left as it is.
func (l *Ledger) StartRun(ctx context.Context, tx pgx.Tx, version uint64, release string, units int) error {
	now := l.now()
	_, err := tx.Exec(ctx, `
		INSERT INTO lockstep.runs (version, release, units, units_done, started_at, updated_at)
		VALUES ($1, $2, $3, 0, $4, $4) ON CONFLICT (version) DO NOTHING`, int64(version), release, units, now)
	return err
}

// SetRunProgress records in tx, the transaction of the unit that just
// finished, how many units are done, so the count commits with the unit.
func (l *Ledger) SetRunProgress(ctx context.Context, tx pgx.Tx, version uint64, unitsDone int) error {
	_, err := tx.Exec(ctx, `UPDATE lockstep.runs SET units_done = $2, updated_at = $3 WHERE version = $1`,
		int64(version), unitsDone, l.now())
	return err
}

// FinishRun removes a run in tx, the transaction that marks its migration
// applied.
func (l *Ledger) FinishRun(ctx context.Context, tx pgx.Tx, version uint64) error {
	_, err := tx.Exec(ctx, `DELETE FROM lockstep.runs WHERE version = $1`, int64(version))
	return err
}

// RunOf returns the run of a migration, and whether there is one.
func (l *Ledger) RunOf(ctx context.Context, version uint64) (Run, bool, error) {
	var r Run
	var v int64
	err := l.pool.QueryRow(ctx, `
		SELECT version, release, units, units_done, started_at, updated_at FROM lockstep.runs WHERE version = $1`,
		int64(version)).Scan(&v, &r.Release, &r.Units, &r.UnitsDone, &r.StartedAt, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Run{}, false, nil
	}
	if err != nil {
		return Run{}, false, l.wrap(err, "read run")
	}
	r.Version = uint64(v)
	return r, true, nil
}

// UpdateMigration changes the name, phase and checksum recorded for a
// migration that has not been applied yet (its file was edited before it
// ran). An applied migration is left unchanged; the result says whether a
// row changed.
func (l *Ledger) UpdateMigration(ctx context.Context, version uint64, name, phase, checksum string) (bool, error) {
	tag, err := l.pool.Exec(ctx, `
		UPDATE lockstep.migrations SET name = $2, phase = $3, checksum = $4
		WHERE version = $1 AND applied_at IS NULL`, int64(version), name, phase, checksum)
	if err != nil {
		return false, l.wrap(err, "update migration")
	}
	return tag.RowsAffected() == 1, nil
}

// FinishBackfill marks a backfill done in tx, the transaction of its last
// batch.
func (l *Ledger) FinishBackfill(ctx context.Context, tx pgx.Tx, version uint64) error {
	now := l.now()
	_, err := tx.Exec(ctx, `UPDATE lockstep.backfills SET state = $2, updated_at = $3, finished_at = $3 WHERE version = $1`,
		int64(version), string(BackfillDone), now)
	return err
}

// Backfills returns every backfill checkpoint by version.
func (l *Ledger) Backfills(ctx context.Context) ([]Backfill, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT version, key_column, last_key, rows_done, batches, batch_size, state, started_at, updated_at, finished_at
		FROM lockstep.backfills ORDER BY version`)
	if err != nil {
		return nil, l.wrap(err, "list backfills")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Backfill, error) {
		var b Backfill
		var v int64
		var last *string
		var st string
		err := row.Scan(&v, &b.KeyColumn, &last, &b.RowsDone, &b.Batches, &b.BatchSize, &st, &b.StartedAt, &b.UpdatedAt, &b.FinishedAt)
		b.Version, b.State = uint64(v), BackfillState(st)
		if last != nil {
			b.LastKey = *last
		}
		return b, err
	})
	return out, l.wrap(err, "list backfills")
}

// AppendAudit appends an audit entry in tx, so it commits with what it
// describes.
func (l *Ledger) AppendAudit(ctx context.Context, tx pgx.Tx, e Entry) error {
	at := e.At
	if at.IsZero() {
		at = l.now()
	}
	return appendAudit(ctx, tx, at, e)
}

// RecordApplied records, in tx, migrations that ran before lockstep knew of
// them (a database with golang-migrate history, or a golang-migrate run
// outside lockstep): introduced in and applied by release, as actor. A
// migration already recorded is marked applied.
func (l *Ledger) RecordApplied(ctx context.Context, tx pgx.Tx, ms []Migration, release, actor string) error {
	now := l.now()
	for _, m := range ms {
		_, err := tx.Exec(ctx, `
			INSERT INTO lockstep.migrations (version, name, phase, checksum, introduced_in, applied_in, applied_at, duration_ms, actor)
			VALUES ($1, $2, $3, $4, $5, $5, $6, 0, $7)
			ON CONFLICT (version) DO UPDATE SET applied_in = $5, applied_at = $6, duration_ms = 0, actor = $7
			WHERE migrations.applied_at IS NULL`,
			int64(m.Version), m.Name, m.Phase, m.Checksum, release, now, actor)
		if err != nil {
			return err
		}
	}
	return nil
}
