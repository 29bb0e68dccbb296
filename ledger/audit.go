package ledger

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Entry is one line of the append-only audit log.
type Entry struct {
	ID          int64
	At          time.Time
	Actor       string
	Action      string // e.g. gate.closed, gate.override, migrate.refused, rollout.rollback
	Release     string
	Environment string
	Reason      string
	// Details holds the figures: checks and their values, measurements, ...
	Details map[string]any
}

// Audit appends an entry. At defaults to the ledger's clock.
func (l *Ledger) Audit(ctx context.Context, e Entry) error {
	at := e.At
	if at.IsZero() {
		at = l.now()
	}
	return l.wrap(appendAudit(ctx, l.pool, at, e), "append to the audit log")
}

// execer is what appendAudit needs of a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func appendAudit(ctx context.Context, db execer, at time.Time, e Entry) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	if e.Actor == "" {
		e.Actor = "unknown"
	}
	_, err = db.Exec(ctx, `
		INSERT INTO lockstep.audit (at, actor, action, release, environment, reason, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, at, e.Actor, e.Action, e.Release, e.Environment, e.Reason, b)
	return err
}

// AuditFilter selects audit entries; empty fields match everything.
type AuditFilter struct {
	Release     string
	Environment string
	// ActionPrefix matches actions starting with it, e.g. "gate.".
	ActionPrefix string
	Limit        int
}

// AuditLog returns matching entries, oldest first.
func (l *Ledger) AuditLog(ctx context.Context, f AuditFilter) ([]Entry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := l.pool.Query(ctx, `
		SELECT id, at, actor, action, release, environment, reason, details FROM (
			SELECT * FROM lockstep.audit
			WHERE ($1 = '' OR release = $1) AND ($2 = '' OR environment = $2) AND ($3 = '' OR action LIKE $3 || '%')
			ORDER BY id DESC LIMIT $4) recent
		ORDER BY id`, f.Release, f.Environment, f.ActionPrefix, limit)
	if err != nil {
		return nil, l.wrap(err, "read the audit log")
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		var details []byte
		if err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Release, &e.Environment, &e.Reason, &details); err != nil {
			return e, err
		}
		err := json.Unmarshal(details, &e.Details)
		return e, err
	})
}
