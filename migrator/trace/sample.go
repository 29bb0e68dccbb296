package trace

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lockstep-dev/lockstep/lint"
)

// traceForReal runs a file that cannot run in a transaction statement by
// statement, for real, sampling each statement's locks.
func (s *Session) traceForReal(ctx context.Context, f *lint.File, ft *File) error {
	start, err := s.relations(ctx, s.watch)
	if err != nil {
		return err
	}
	failed := false
	for _, st := range f.Statements {
		ts := Statement{Index: st.Index, Line: line(f, st), SQL: strings.TrimSpace(st.Text()), Sampled: true}
		if failed {
			ts.Skipped = "not run: an earlier statement failed"
			ft.Statements = append(ft.Statements, ts)
			continue
		}
		before, err := s.relations(ctx, s.watch)
		if err != nil {
			return err
		}
		got, d, err := s.sample(ctx, st.Text(), before)
		if err != nil {
			return err
		}
		ts.Duration = d.run
		if d.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ts.Err = pgMessage(d.err)
			ft.Failed, failed = true, true
		}
		after, err := s.relations(ctx, s.watch)
		if err != nil {
			return err
		}
		// Only relations that existed before the statement: what it does to
		// the ones it creates (CIC's new index) is nobody else's wait, and
		// sampling catches it only by chance.
		for oid := range got {
			if _, ok := before[oid]; !ok {
				delete(got, oid)
			}
		}
		ts.Locks = locksOf(got, merge(after, before), start)
		held := d.run - d.gated
		if held < 0 {
			held = 0
		}
		for i := range ts.Locks {
			ts.Locks[i].Held = held
		}
		ts.Rewritten = rewritten(before, after)
		ft.Statements = append(ft.Statements, ts)
	}
	return nil
}

type sampleRun struct {
	run   time.Duration // the statement's run time
	gated time.Duration // of which waiting for the tracer's gates
	err   error
}

// sample runs sql on the session's connection while the watch connection
// reads its locks from pg_locks. Each table starts behind a gate: a
// connection of its own holding SHARE on it, released the moment the
// statement is seen queueing for the table, so the mode the statement asks
// for is seen even when it holds it for microseconds (a SHARE request
// itself passes the gate and is seen only if sampled). Modes seen granted
// or requested count.
func (s *Session) sample(ctx context.Context, sql string, rels map[uint32]relation) (map[uint32]lint.LockMode, sampleRun, error) {
	gates := map[uint32]*pgx.Conn{}
	defer func() {
		for oid := range gates {
			s.release(gates, oid)
		}
	}()
	for oid, r := range rels {
		if r.kind != "table" && r.kind != "partitioned table" && r.kind != "materialized view" {
			continue
		}
		c, err := connect(ctx, s.url)
		if err != nil {
			return nil, sampleRun{}, err
		}
		if _, err := c.Exec(ctx, "BEGIN"); err != nil {
			c.Close(ctx)
			return nil, sampleRun{}, err
		}
		// SHARE lets the catalog lookups (ACCESS SHARE, ROW SHARE) through
		// and stops the first request from ROW EXCLUSIVE up, the one that
		// matters. NOWAIT: a table another session holds stays ungated.
		if _, err := c.Exec(ctx, "LOCK TABLE ONLY "+quoteName(r.name)+" IN SHARE MODE NOWAIT"); err != nil {
			c.Close(ctx)
			continue
		}
		gates[oid] = c
	}
	pid := s.conn.PgConn().PID()
	type result struct {
		err error
		d   time.Duration
	}
	done := make(chan result, 1)
	go func() {
		t0 := time.Now()
		_, err := s.conn.PgConn().Exec(ctx, sql).ReadAll()
		done <- result{err, time.Since(t0)}
	}()
	seen := map[uint32]lint.LockMode{}
	var run sampleRun
	began := time.Now()
	var otherWait time.Time
	for {
		select {
		case r := <-done:
			run.run, run.err = r.d, r.err
			return seen, run, nil
		default:
		}
		rows, err := s.watch.Query(ctx, `SELECT coalesce(relation, 0::oid), mode, granted, locktype FROM pg_locks WHERE pid = $1`, pid)
		if err != nil {
			<-done
			return nil, run, err
		}
		waitingOther := false
		var release []uint32
		for rows.Next() {
			var oid uint32
			var mode, locktype string
			var granted bool
			if err := rows.Scan(&oid, &mode, &granted, &locktype); err != nil {
				rows.Close()
				<-done
				return nil, run, err
			}
			if locktype == "relation" {
				if m := pgModes[mode]; m > seen[oid] {
					seen[oid] = m
				}
				if !granted && gates[oid] != nil {
					release = append(release, oid)
				}
			} else if !granted {
				waitingOther = true
			}
		}
		rows.Close()
		t := time.Now()
		for _, oid := range release {
			s.release(gates, oid)
		}
		if len(release) > 0 {
			// The statement queued from (at most) the previous sample on:
			// count the time to release as the gate's.
			run.gated += time.Since(t)
		}
		// Waiting for something that is not a gate (a snapshot, a
		// transaction) while gates still hold: let every table go, so that
		// the gates themselves cannot hold the statement up.
		switch {
		case waitingOther && otherWait.IsZero():
			otherWait = t
		case !waitingOther:
			otherWait = time.Time{}
		}
		if len(gates) > 0 && ((!otherWait.IsZero() && t.Sub(otherWait) > 20*time.Millisecond) || t.Sub(began) > 5*time.Second) {
			for oid := range gates {
				s.release(gates, oid)
			}
		}
	}
}

func (s *Session) release(gates map[uint32]*pgx.Conn, oid uint32) {
	c := gates[oid]
	if c == nil {
		return
	}
	delete(gates, oid)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = c.Exec(ctx, "ROLLBACK")
	c.Close(ctx)
}

// quoteName quotes schema.name.
func quoteName(qualified string) string {
	schema, name, _ := strings.Cut(qualified, ".")
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	return q(schema) + "." + q(name)
}

func visitRangeVars(m protoreflect.Message, fn func(*pg.RangeVar)) {
	if rv, ok := m.Interface().(*pg.RangeVar); ok {
		fn(rv)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				visitRangeVars(l.Get(i).Message(), fn)
			}
		case fd.IsMap():
		default:
			visitRangeVars(v.Message(), fn)
		}
		return true
	})
}
