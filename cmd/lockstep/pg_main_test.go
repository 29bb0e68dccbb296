package main

import (
	"os"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/initgc"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL the tests start (pgtest) and
// removes the binary builtLockstep built. main, which gives the collector
// back after package initialisation (internal/initgc), does not run in a
// test binary: TestMain does it.
func TestMain(m *testing.M) {
	initgc.Restore()
	code := pgtest.Main(m)
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
