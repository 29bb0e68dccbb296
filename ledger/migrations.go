package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Migration is what the ledger knows of one migration file.
type Migration struct {
	Version      uint64
	Name         string
	Phase        string // expand, backfill or contract
	Checksum     string
	IntroducedIn string
	AppliedIn    string // empty until applied
	AppliedAt    *time.Time
	Duration     time.Duration
	Actor        string
}

// Applied reports whether the migration ran.
func (m Migration) Applied() bool { return m.AppliedAt != nil }

// RecordMigration registers a migration the first time a release sees it
// (introduced_in is that release and never changes afterwards). It returns
// the stored record, whose Checksum the caller compares with the file's.
func (l *Ledger) RecordMigration(ctx context.Context, m Migration) (Migration, error) {
	_, err := l.pool.Exec(ctx, `
		INSERT INTO lockstep.migrations (version, name, phase, checksum, introduced_in)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (version) DO NOTHING`, int64(m.Version), m.Name, m.Phase, m.Checksum, m.IntroducedIn)
	if err != nil {
		return Migration{}, l.wrap(err, "record migration")
	}
	got, _, err := l.Migration(ctx, m.Version)
	return got, err
}

// MarkApplied records that release applied a migration, in tx when given
// (so it commits with the migration's own effect), else on its own.
func (l *Ledger) MarkApplied(ctx context.Context, tx pgx.Tx, version uint64, release, actor string, d time.Duration) error {
	var db execer = l.pool
	if tx != nil {
		db = tx
	}
	_, err := db.Exec(ctx, `
		UPDATE lockstep.migrations SET applied_in = $2, applied_at = $3, duration_ms = $4, actor = $5
		WHERE version = $1`, int64(version), release, l.now(), d.Milliseconds(), actor)
	return l.wrap(err, "mark migration applied")
}

// UpdateChecksum accepts a changed file as the new truth (after a human
// decided so); the change itself is audited by the caller.
func (l *Ledger) UpdateChecksum(ctx context.Context, version uint64, checksum string) error {
	_, err := l.pool.Exec(ctx, `UPDATE lockstep.migrations SET checksum = $2 WHERE version = $1`, int64(version), checksum)
	return l.wrap(err, "update checksum")
}

const migrationCols = `version, name, phase, checksum, introduced_in, coalesce(applied_in, ''), applied_at, coalesce(duration_ms, 0), actor`

func scanMigration(row pgx.Row) (Migration, error) {
	var m Migration
	var v, ms int64
	err := row.Scan(&v, &m.Name, &m.Phase, &m.Checksum, &m.IntroducedIn, &m.AppliedIn, &m.AppliedAt, &ms, &m.Actor)
	m.Version = uint64(v)
	m.Duration = time.Duration(ms) * time.Millisecond
	return m, err
}

// Migration returns the record of a version, and whether there is one.
func (l *Ledger) Migration(ctx context.Context, version uint64) (Migration, bool, error) {
	m, err := scanMigration(l.pool.QueryRow(ctx, `SELECT `+migrationCols+` FROM lockstep.migrations WHERE version = $1`, int64(version)))
	if errors.Is(err, pgx.ErrNoRows) {
		return Migration{}, false, nil
	}
	if err != nil {
		return Migration{}, false, l.wrap(err, "read migration")
	}
	return m, true, nil
}

// Migrations returns every recorded migration by version.
func (l *Ledger) Migrations(ctx context.Context) ([]Migration, error) {
	rows, err := l.pool.Query(ctx, `SELECT `+migrationCols+` FROM lockstep.migrations ORDER BY version`)
	if err != nil {
		return nil, l.wrap(err, "list migrations")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Migration, error) { return scanMigration(row) })
	return out, l.wrap(err, "list migrations")
}
