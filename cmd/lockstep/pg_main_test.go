package main

import (
	"os"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL the tests start (pgtest) and
// removes the binary builtLockstep built.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
