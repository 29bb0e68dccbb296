// Package ledger is lockstep's memory in the target database: the
// `lockstep` schema holds the releases and their states, the migrations and
// which release introduced and applied each, backfill checkpoints, rollouts,
// and an append-only audit log. It is the one place every other package asks
// "what has happened".
//
// Open creates or upgrades the schema idempotently. Errors reaching the
// database are fault.Unavailable (exit 4); the messages never include the
// connection string's password.
package ledger

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

//go:embed schema.sql
var schemaV1 string

// SchemaVersion is the ledger schema version this build writes (2: runs).
const SchemaVersion = 2

// upgradeLockKey serialises concurrent schema creation.
const upgradeLockKey = 0x6c6f636b73746570 // "lockstep"

// Ledger is an open ledger.
type Ledger struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
}

// Options configure Open.
type Options struct {
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock for timestamps lockstep writes; nil is time.Now.
	Now func() time.Time
	// ApplicationName is set on the connections (default "lockstep").
	ApplicationName string
}

// Open connects to the database at url and creates or upgrades the
// lockstep schema. A database that cannot be reached is fault.Unavailable.
func Open(ctx context.Context, dbURL string, o Options) (*Ledger, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "database URL: %s", Redact(err.Error(), dbURL))
	}
	name := o.ApplicationName
	if name == "" {
		name = "lockstep"
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = name
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, Unavailable(err, dbURL)
	}
	l := &Ledger{pool: pool, log: o.Logger, now: o.Now}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	if err := l.migrate(ctx); err != nil {
		pool.Close()
		return nil, Unavailable(err, dbURL)
	}
	return l, nil
}

// Close releases the connections.
func (l *Ledger) Close() { l.pool.Close() }

// Pool exposes the connection pool, for callers that must write to the
// ledger in their own transaction (a backfill batch and its checkpoint).
func (l *Ledger) Pool() *pgxpool.Pool { return l.pool }

// Now is the ledger's clock.
func (l *Ledger) Now() time.Time { return l.now() }

func (l *Ledger) migrate(ctx context.Context) error {
	var have int
	err := l.pool.QueryRow(ctx, `SELECT coalesce((SELECT max(version) FROM lockstep.schema_version), 0)`).Scan(&have)
	if err == nil && have >= SchemaVersion {
		return nil
	}
	return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(upgradeLockKey)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, schemaV1); err != nil {
			return fmt.Errorf("create the lockstep schema: %w", err)
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM lockstep.schema_version`).Scan(&v); err != nil {
			return err
		}
		if v < SchemaVersion {
			if _, err := tx.Exec(ctx, `DELETE FROM lockstep.schema_version`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO lockstep.schema_version (version) VALUES ($1)`, SchemaVersion); err != nil {
				return err
			}
		}
		return nil
	})
}

// Unavailable wraps a database error as fault.Unavailable, with any password
// of dbURL removed from its text.
func Unavailable(err error, dbURL string) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fault.Errorf(fault.Unavailable, "database: %s", Redact(pe.Message, dbURL))
	}
	return fault.Errorf(fault.Unavailable, "database unreachable: %s", Redact(err.Error(), dbURL))
}

// Redact removes the password of a connection URL (or key=value DSN) from s.
func Redact(s, dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
			s = strings.ReplaceAll(s, url.QueryEscape(p), "xxxxx")
		}
	}
	for _, f := range strings.Fields(dbURL) {
		if k, v, ok := strings.Cut(f, "="); ok && k == "password" && v != "" {
			s = strings.ReplaceAll(s, v, "xxxxx")
		}
	}
	return s
}

// RedactURL returns dbURL with its password replaced, for display.
func RedactURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return Redact(dbURL, dbURL)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// wrap turns a query error into fault.Unavailable when the connection broke,
// and returns other errors as they are.
func (l *Ledger) wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %s (SQLSTATE %s)", what, pe.Message, pe.Code)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fault.Errorf(fault.Unavailable, "database: %s: %v", what, err)
}
