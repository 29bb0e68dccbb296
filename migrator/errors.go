package migrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

// sqlstateLockNotAvailable is lock_timeout's error: the lock was not
// granted in time.
const sqlstateLockNotAvailable = "55P03"

func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// isLockTimeout reports whether err is a lock not granted within
// lock_timeout.
func isLockTimeout(err error) bool {
	pe := pgError(err)
	return pe != nil && pe.Code == sqlstateLockNotAvailable
}

// connectionLost reports whether err means the database went away: a
// broken connection, or the server shutting down or crashing.
func connectionLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, fault.Unavailable) {
		return true
	}
	if pe := pgError(err); pe != nil {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"conn closed", "connection reset", "broken pipe", "connection refused", "failed to connect", "unexpected EOF", "server closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// sqlFailure describes a statement's error at its file and line.
func sqlFailure(m *Migration, s *lint.Statement, err error) error {
	pe := pgError(err)
	if pe == nil {
		return err
	}
	where := m.Path
	if s != nil {
		off := s.Start
		if pe.Position > 0 {
			src := lint.NewSource("", s.Text())
			off += src.ByteOffsetOfChar(int(pe.Position))
		}
		line, _ := m.file.Source.Position(off)
		where = fmt.Sprintf("%s:%d", m.Path, line)
	}
	msg := pe.Message
	if pe.Detail != "" {
		msg += " (" + pe.Detail + ")"
	}
	return fault.Errorf(fault.Failed, "%s: %s failed: %s (SQLSTATE %s); nothing of it was committed", where, m.Label, msg, pe.Code)
}

// gone turns a lost connection into fault.Unavailable: one line saying what
// was under way and that the ledger allows a plain re-run.
func (m *Migrator) gone(err error, doing string) error {
	return fault.Errorf(fault.Unavailable, "database went away during %s: %s; the ledger and the migrations tables hold only what committed: run the same command again once the database is back",
		doing, ledger.Redact(err.Error(), m.o.DatabaseURL))
}

// classify maps a database error met while doing something.
func (m *Migrator) classify(err error, doing string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case fault.KindOf(err) != nil:
		return err
	case connectionLost(err):
		return m.gone(err, doing)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
