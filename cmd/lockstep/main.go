// Command lockstep guards zero-downtime deploys of PostgreSQL-backed
// services: it lints migrations, sequences them into expand, backfill and
// contract phases across releases, gates deploys and drives rollouts.
//
// Run `lockstep --help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/mattn/go-isatty"

	"github.com/lockstep-dev/lockstep/internal/initgc"
)

func main() {
	initgc.Restore()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		tty:       isatty.IsTerminal(os.Stdout.Fd()) && os.Getenv("NO_COLOR") == "",
		stderrTTY: isatty.IsTerminal(os.Stderr.Fd()),
		environ:   os.Environ(),
	}
	os.Exit(profiled(os.Getenv("LOCKSTEP_CPUPROFILE"), func() int { return run(ctx, os.Args[1:], e) }))
}

// profiled runs f, writing a CPU profile to path when it is set (for
// bench/: LOCKSTEP_CPUPROFILE=cpu.out lockstep lint ...).
func profiled(path string, f func() int) int {
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err != nil {
		return f()
	}
	defer out.Close()
	if pprof.StartCPUProfile(out) != nil {
		return f()
	}
	defer pprof.StopCPUProfile()
	return f()
}
