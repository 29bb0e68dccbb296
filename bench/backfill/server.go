package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
)

// harness lets a program use pgtest's helpers, which take a testing.TB:
// Fatalf records the failure and ends the calling goroutine (as in a
// test), Cleanup collects what cleanup runs at the end. pgtest calls
// nothing else, so the embedded TB stays nil.
type harness struct {
	testing.TB
	err      error
	cleanups []func()
}

func (h *harness) Helper()             {}
func (h *harness) Cleanup(f func())    { h.cleanups = append(h.cleanups, f) }
func (h *harness) Logf(string, ...any) {}
func (h *harness) Fatalf(format string, args ...any) {
	h.err = fmt.Errorf(format, args...)
	runtime.Goexit()
}
func (h *harness) Skipf(format string, args ...any) { h.Fatalf(format, args...) }

func (h *harness) close() {
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		h.cleanups[i]()
	}
}

// startServer starts a throwaway PostgreSQL from the machine's binaries
// through pgtest and returns the URL of its maintenance database and a
// function that stops it and removes its files.
func startServer() (string, func(), error) {
	h := &harness{}
	var s *pgtest.Server
	done := make(chan struct{})
	go func() {
		defer close(done)
		s = pgtest.Start(h)
	}()
	<-done
	if h.err != nil || s == nil {
		h.close()
		if h.err == nil {
			h.err = fmt.Errorf("pgtest did not start a server")
		}
		return "", nil, h.err
	}
	return s.URL, h.close, nil
}

// createDatabase creates a database of the bench's own on the server
// serverURL names, so that the ledger and the table start empty whatever
// the server holds, and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, serverURL string) (string, func(), error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fault.Errorf(fault.Usage, "--database %q: want a postgres:// URL", redact(serverURL))
	}
	name := fmt.Sprintf("lockstep_bench_%d_%d", os.Getpid(), time.Now().Unix())
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			return fault.Wrap(fault.Unavailable, err, "connect to "+redact(serverURL))
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(ctx, "CREATE DATABASE "+name); err != nil {
		if fault.KindOf(err) != nil {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("create database %s on %s: %w", name, redact(serverURL), err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// redact hides a URL's password.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
