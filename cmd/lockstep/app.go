package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Exit codes: one table for every command.
const (
	exitOK          = 0 // ok, gate open, rollout promoted
	exitFailed      = 1 // findings at or above --fail-on, gate closed, rollout rolled back, contract refused
	exitUsage       = 2 // bad flag, argument or configuration
	exitInput       = 3 // unparsable SQL, unreadable or misnamed migration file
	exitUnavailable = 4 // database, Prometheus, GitHub/GitLab/Kubernetes API unreachable
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// env is the world a command sees: streams, environment, clock. main builds
// the real one; tests build their own.
type env struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	getenv    func(string) string
	tty       bool // stdout is a terminal (colours, progress bars)
	stderrTTY bool
	now       func() time.Time
	// workdir, when set, is the directory relative paths start from (tests).
	workdir string
	// environ is the process environment, for the commands lockstep runs
	// (deploy.shell, deploy.rollback.page); nil in tests.
	environ []string
}

func (e *env) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// logger writes to stderr; level from LOCKSTEP_LOG (debug, info, warn).
func (e *env) logger() *slog.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(e.getenv("LOCKSTEP_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

// globals are the flags every command has.
type globals struct {
	config string
	// report holds the reporting flags of the commands that report
	// (addReportFlags, publishReport in report.go).
	report reportOptions
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, e *env) int {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	return finish(e, err)
}

// finish prints err (once, one line) and maps it to the exit-code table.
// (Not named report: that is the reporting package.)
func finish(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if !fault.IsQuiet(err) {
		msg := err.Error()
		if code == exitUsage && !strings.Contains(msg, "--help") && isFlagError(err) {
			msg += " (see --help)"
		}
		fmt.Fprintf(e.stderr, "lockstep: %s\n", msg)
	}
	return code
}

// exitCode maps an error to the exit-code table.
func exitCode(err error) int {
	var fe *flagError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe), strings.HasPrefix(err.Error(), "unknown command"):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitFailed
	}
	switch fault.KindOf(err) {
	case fault.Usage:
		return exitUsage
	case fault.Input:
		return exitInput
	case fault.Unavailable:
		return exitUnavailable
	case fault.Failed:
		return exitFailed
	}
	return exitFailed
}

// flagError wraps cobra's argument and flag errors.
type flagError struct{ err error }

func (f *flagError) Error() string { return f.err.Error() }
func (f *flagError) Unwrap() error { return f.err }

func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

func newRoot(e *env) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "lockstep",
		Short: "Zero-downtime PostgreSQL schema changes: lint, sequence, gate and roll out",
		Long: `lockstep makes shipping Postgres-backed services boring. During a rolling, blue-green or
canary deploy the old and the new release run against one database, so every schema change must
go expand -> backfill -> contract across releases. lockstep lints the migrations that would break
either release or stall traffic on a lock, runs each migration in its phase, decides whether a
deploy may start, and drives the rollout with metric analysis and automatic rollback.

Exit codes (every command):
  0  ok, gate open, rollout promoted
  1  findings at or above --fail-on, gate closed, rollout rolled back, contract refused
  2  usage or configuration error
  3  bad input: unparsable SQL, unreadable or misnamed migration file
  4  a dependency unreachable: database, Prometheus, GitHub/GitLab/Kubernetes API`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version,
	}
	root.SetVersionTemplate("lockstep {{.Version}}\n")
	root.PersistentFlags().StringVar(&g.config, "config", "", "configuration file (default: lockstep.yaml in the working directory, when present)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &flagError{err} })
	// One line per command family; each lives in its own file.
	root.AddCommand(
		newLintCmd(e, g),
		newRulesCmd(e),
		newSchemaCmd(e),
		newVersionCmd(e),
		newMigrateCmd(e, g),
		newReleaseCmd(e, g),
		newGateCmd(e, g),
		newDeployCmd(e, g),
		newPlanCmd(e, g),
		newTraceCmd(e, g),
	)
	wrapArgs(root)
	return root
}

// wrapArgs turns argument-count errors into usage errors (exit 2).
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &flagError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lockstep's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(e.stdout, "lockstep %s\n", version)
			return nil
		},
	}
}
