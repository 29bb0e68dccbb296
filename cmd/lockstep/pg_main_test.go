package main

import (
	"os"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL the tests start (pgtest).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
