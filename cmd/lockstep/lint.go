package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

type lintOptions struct {
	paths       []string
	format      string
	output      string
	writes      []string
	failOn      string
	pgVersion   int
	since       string
	includeDown bool
	runner      string
	stdinPath   string
	exclude     []string
	latest      int
}

func newLintCmd(e *env, g *globals) *cobra.Command {
	o := &lintOptions{}
	c := &cobra.Command{
		Use:   "lint [paths...]",
		Short: "Find migrations that break the old or new release, or lock traffic",
		Long: `Lint PostgreSQL migrations for zero-downtime deploys.

Paths are golang-migrate directories (NNN_name.up.sql, in version order) or single .sql files of
any name, linted in the order given; - is SQL read from standard input (named by --stdin-filepath).
Earlier files are replayed into a schema catalog, so lockstep
knows which tables exist, their columns and types, constraints and indexes. A table the files never
create is taken to exist, with readers.

With --since REF (for a pull request: the base branch), only files added since REF are reported;
the older ones are replayed, and objects the new files create count as unreleased: nothing reads
them yet, so changing them is safe.

Each finding names the rule, the lock it takes and on what, whether it scans or rewrites the
table, whom it breaks (the old release, the new one, both, or availability through locks) and the
safe alternative as SQL. Suppress one with "-- lockstep:ignore <rule-id> <reason>" on the line
before the statement, or a whole file with "-- lockstep:ignore-file <rule-id> <reason>".`,
		Example: `  # lint a golang-migrate directory
  lockstep lint migrations

  # in a pull request: report only the files it adds, fail on warnings too
  lockstep lint migrations --since origin/main --fail-on warning

  # before a deploy: the last two files, against the history before them
  lockstep lint migrations --latest 2

  # SARIF for GitHub code scanning, text on the console
  lockstep lint migrations --write sarif=lockstep.sarif

  # without two style rules
  lockstep lint migrations --exclude prefer-bigint,prefer-identity

  # a single file, for PostgreSQL 13, as x-multi-statement=true runs it
  lockstep lint db/change.sql --pg-version 13 --runner multi-statement

  # from an editor or a hook: the history, then the buffer being edited
  lockstep lint migrations - --stdin-filepath migrations/0042_add_index.up.sql < buffer.sql`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			return runLint(cmd.Context(), e, g, o, cmd.Flags().Changed("pg-version"))
		},
	}
	f := c.Flags()
	f.StringVarP(&o.format, "format", "f", "text", "output format: "+strings.Join(lint.Formats, ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the output to this file instead of standard output")
	f.StringArrayVar(&o.writes, "write", nil, "also write FORMAT=PATH (repeatable), e.g. --write sarif=lockstep.sarif")
	f.StringVar(&o.failOn, "fail-on", "", "lowest severity that exits 1: error, warning, hint or never (default error)")
	f.IntVar(&o.pgVersion, "pg-version", 0, "target PostgreSQL major version, 13 to 17 (default 15)")
	f.StringVar(&o.since, "since", "", "report only files added since this git ref; older ones are history")
	f.IntVar(&o.latest, "latest", 0, "report only the last N migration files; older ones are history (without git: --since is the pull request's form)")
	f.BoolVar(&o.includeDown, "include-down", false, "lint .down.sql files too")
	f.StringVar(&o.runner, "runner", "", "how migrations run: golang-migrate, multi-statement or per-statement")
	f.StringVar(&o.stdinPath, "stdin-filepath", "stdin.sql", "the name positions and reports give SQL read from standard input (path -)")
	f.StringSliceVarP(&o.exclude, "exclude", "e", nil, "turn these rules off, e.g. --exclude prefer-bigint,ban-char (lockstep.yaml's lint.rules: off)")
	addReportFlags(c, g)
	return c
}

// lintConfig merges lockstep.yaml's lint section with the flags (flags
// win). Errors are usage errors naming the flag, or the file, line and key.
func lintConfig(e *env, g *globals, o *lintOptions, pgSet bool) (lint.Config, *config, error) {
	cfg := lint.Config{}
	conf, err := loadConfig(e, g)
	if err != nil {
		return cfg, nil, err
	}
	if err := conf.section("lint", &cfg); err != nil {
		return cfg, nil, err
	}
	// The schema checks the shape; rule ids need the registry.
	for id := range cfg.Rules {
		if lint.RuleByID(id) == nil {
			loc := []string{"lint", "rules", id}
			return cfg, nil, fault.Errorf(fault.Usage, "%s: %s: unknown rule id%s", conf.position(loc), dotted(loc), suggestRule(id))
		}
	}
	if pgSet {
		if o.pgVersion < lint.MinPGVersion || o.pgVersion > lint.MaxPGVersion {
			return cfg, nil, fault.Errorf(fault.Usage, "--pg-version %d: not supported (want %d to %d)", o.pgVersion, lint.MinPGVersion, lint.MaxPGVersion)
		}
		cfg.PGVersion = o.pgVersion
	}
	if o.failOn != "" {
		if !oneOf(o.failOn, "error", "warning", "hint", "never") {
			return cfg, nil, fault.Errorf(fault.Usage, "--fail-on %q: want error, warning, hint or never", o.failOn)
		}
		cfg.FailOn = o.failOn
	}
	if o.runner != "" {
		if !oneOf(o.runner, runnerNames()...) {
			return cfg, nil, fault.Errorf(fault.Usage, "--runner %q: want %s", o.runner, strings.Join(runnerNames(), ", "))
		}
		cfg.Runner = lint.Runner(o.runner)
	}
	if o.includeDown {
		cfg.IncludeDown = true
	}
	for _, id := range o.exclude {
		id = strings.TrimSpace(id)
		if lint.RuleByID(id) == nil {
			return cfg, nil, fault.Errorf(fault.Usage, "--exclude %s: unknown rule id%s", id, suggestRule(id))
		}
		if cfg.Rules == nil {
			cfg.Rules = map[string]string{}
		}
		cfg.Rules[id] = "off"
	}
	if err := cfg.Normalize(); err != nil {
		return cfg, nil, err
	}
	return cfg, conf, nil
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

func runnerNames() []string {
	var out []string
	for _, r := range lint.Runners {
		out = append(out, string(r))
	}
	return out
}

// suggestRule returns ` (did you mean "x"?)` for the closest rule id.
func suggestRule(id string) string {
	best, bestD := "", 4
	for _, r := range lint.Rules() {
		if d := editDistance(id, r.ID); d < bestD {
			best, bestD = r.ID, d
		}
	}
	if best == "" {
		return " (lockstep rules lists them)"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// lintHeapLimit is the heap size at which a lint run starts to collect
// garbage: some 40 times what 2,000 files need (bench/lint.sh), so that a
// history of tens of thousands of files still runs without a collection,
// and a larger one is bounded rather than refused.
const lintHeapLimit = 1 << 30

func runLint(ctx context.Context, e *env, g *globals, o *lintOptions, pgSet bool) error {
	// A lint run is short and what it allocates is mostly what it keeps (the
	// parse trees, the catalog, the findings): a collection finds little to
	// free, and marking the pointer-dense trees costs as much as a tenth of
	// the run. Collect only near lintHeapLimit (GOGC, when set, wins).
	if e.getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(lintHeapLimit))
	}
	if !validFormat(o.format) {
		return fault.Errorf(fault.Usage, "--format %q: want one of %s", o.format, strings.Join(lint.Formats, ", "))
	}
	extra, err := parseWrites(o.writes)
	if err != nil {
		return err
	}
	cfg, _, err := lintConfig(e, g, o, pgSet)
	if err != nil {
		return err
	}
	paths := o.paths
	if len(paths) == 0 {
		paths = []string{"migrations"}
		if _, err := os.Stat(e.abs("migrations")); err != nil {
			return fault.Errorf(fault.Usage, "no paths given and ./migrations does not exist: lockstep lint [paths...]")
		}
	}
	inputs, stdin, err := lazyInputs(e, paths, cfg, o.stdinPath)
	if err != nil {
		return err
	}
	if o.latest < 0 || o.latest > 0 && o.since != "" {
		return fault.Errorf(fault.Usage, "--latest %d: want a count above 0, and not with --since", o.latest)
	}
	if o.latest > 0 {
		latestOnly(inputs, o.latest)
	}
	if o.since != "" {
		added, err := addedSince(ctx, e, o.since)
		if err != nil {
			return err
		}
		for i := range inputs {
			abs, _ := filepath.Abs(e.abs(inputs[i].Path))
			// What comes on standard input is not committed: it is new.
			isNew := added[abs] || i == stdin
			inputs[i].New = isNew
			inputs[i].Replay = !isNew
		}
	}
	l, err := lint.New(cfg)
	if err != nil {
		return err
	}
	res, err := l.Lint(ctx, inputs)
	if err != nil {
		return err
	}
	repoRel := codeQualityPaths(ctx, e)
	opts := lint.WriteOptions{Color: e.tty && o.output == "" && o.format == "text", Version: version, RepoPath: repoRel}
	if err := writeResult(e, o.format, o.output, res, opts); err != nil {
		return err
	}
	for _, w := range extra {
		if err := writeResult(e, w.format, w.path, res, lint.WriteOptions{Version: version, RepoPath: repoRel}); err != nil {
			return err
		}
	}
	if err := publishLint(ctx, e, g, o.since, res, cfg); err != nil {
		return err
	}
	if errs := res.SyntaxErrors(); len(errs) > 0 {
		for _, se := range errs[1:] {
			fmt.Fprintf(e.stderr, "lockstep: %s\n", se)
		}
		return fault.Errorf(fault.Input, "%s", errs[0])
	}
	min, _ := cfg.FailSeverity()
	if res.Fails(min) {
		return fault.Quietly(fault.Failed, "findings at or above "+cfg.FailOn)
	}
	return nil
}

func validFormat(f string) bool {
	for _, x := range lint.Formats {
		if x == f {
			return true
		}
	}
	return false
}

type writeTarget struct{ format, path string }

func parseWrites(ws []string) ([]writeTarget, error) {
	var out []writeTarget
	for _, w := range ws {
		f, p, ok := strings.Cut(w, "=")
		if !ok || p == "" || !validFormat(f) {
			return nil, fault.Errorf(fault.Usage, "--write %q: want FORMAT=PATH with FORMAT one of %s", w, strings.Join(lint.Formats, ", "))
		}
		out = append(out, writeTarget{f, p})
	}
	return out, nil
}

// writeResult writes the report to path (stdout when empty), streamed
// through a buffer: a report of thousands of findings is megabytes, which
// growing one slice to hold would cost more than writing it out.
func writeResult(e *env, format, path string, res *lint.Result, opts lint.WriteOptions) error {
	if path == "" {
		bw := bufio.NewWriterSize(e.stdout, 64<<10)
		if err := lint.Write(bw, format, res, opts); err != nil {
			return err
		}
		return bw.Flush()
	}
	if dir := filepath.Dir(e.abs(path)); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fault.Errorf(fault.Usage, "%s: %v", path, unwrapPathErr(err))
		}
	}
	f, err := os.Create(e.abs(path))
	if err != nil {
		return fault.Errorf(fault.Usage, "%s: %v", path, unwrapPathErr(err))
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = lint.Write(bw, format, res, opts)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fault.Errorf(fault.Usage, "%s: %v", path, unwrapPathErr(err))
	}
	return nil
}

// latestOnly makes every input but the last n migration files history:
// replayed into the catalog, not reported. Down files (linted on a copy of
// the catalog) do not count.
func latestOnly(inputs []lint.Input, n int) {
	cut := len(inputs)
	for cut > 0 && n > 0 {
		cut--
		if !inputs[cut].Scratch {
			n--
		}
	}
	for i := range cut {
		inputs[i].Replay = true
	}
}

// abs resolves a path against the env's working directory.
func (e *env) abs(p string) string {
	if e.workdir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.workdir, p)
}

// collectInputs expands paths into files in history order and reads them.
func collectInputs(e *env, paths []string, cfg lint.Config) ([]lint.Input, error) {
	inputs, _, err := discoverInputs(e, paths, cfg, "")
	if err != nil {
		return nil, err
	}
	if err := readInputs(e, inputs); err != nil {
		return nil, err
	}
	return inputs, nil
}

// lazyInputs is collectInputs for Lint to read: each input's Load reads it,
// so that reading overlaps parsing and linting. A path "-" is standard
// input, named stdinName; its index is returned (-1 without one).
func lazyInputs(e *env, paths []string, cfg lint.Config, stdinName string) ([]lint.Input, int, error) {
	inputs, stdin, err := discoverInputs(e, paths, cfg, stdinName)
	if err != nil {
		return nil, -1, err
	}
	for i := range inputs {
		if i == stdin {
			continue
		}
		path := inputs[i].Path
		inputs[i].Load = func() (string, error) { return readInput(e, path) }
	}
	return inputs, stdin, nil
}

// readInput reads one input file; its error is bad input naming the file.
func readInput(e *env, path string) (string, error) {
	text, err := readFile(e.abs(path))
	if err != nil {
		return "", fault.Errorf(fault.Input, "%s: %v", path, unwrapPathErr(err))
	}
	return text, nil
}

// discoverInputs expands paths into files in history order. With a
// stdinName, the path "-" is standard input, read now, under that name; its
// index is returned (-1 without one).
func discoverInputs(e *env, paths []string, cfg lint.Config, stdinName string) ([]lint.Input, int, error) {
	var inputs []lint.Input
	stdin := -1
	seen := map[string]bool{}
	add := func(path string, scratch bool) {
		if seen[path] || cfg.Excluded(path) {
			return
		}
		seen[path] = true
		inputs = append(inputs, lint.Input{Path: path, Scratch: scratch})
	}
	for _, p := range paths {
		if p == "-" && stdinName != "" {
			if stdin >= 0 || seen[stdinName] {
				return nil, -1, fault.Errorf(fault.Usage, "-: standard input given twice, or --stdin-filepath %s names a file also linted", stdinName)
			}
			b, err := io.ReadAll(e.stdin)
			if err != nil {
				return nil, -1, fault.Errorf(fault.Input, "standard input: %v", err)
			}
			seen[stdinName] = true
			stdin = len(inputs)
			inputs = append(inputs, lint.Input{Path: stdinName, Text: string(b)})
			continue
		}
		st, err := os.Stat(e.abs(p))
		if err != nil {
			return nil, -1, fault.Errorf(fault.Input, "%s: %v", p, unwrapPathErr(err))
		}
		if !st.IsDir() {
			add(p, false)
			continue
		}
		ms, err := lint.Discover(dirFS{e}, p)
		if err != nil {
			return nil, -1, err
		}
		if len(ms) == 0 {
			return nil, -1, fault.Errorf(fault.Input, "%s: no migration files (NNN_name.up.sql)", p)
		}
		for _, m := range ms {
			if m.Direction == lint.Down && !cfg.IncludeDown {
				continue
			}
			add(m.Path, m.Direction == lint.Down)
		}
	}
	return inputs, stdin, nil
}

// readInputs reads the files' text, several at a time: opening a file is a
// system call that waits, and a history has thousands. The error is the
// first unreadable file in history order.
func readInputs(e *env, inputs []lint.Input) error {
	errs := make([]error, len(inputs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(8, len(inputs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				inputs[i].Text, errs[i] = readInput(e, inputs[i].Path)
			}
		}()
	}
	for i := range inputs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// dirFS reads directories relative to the env's working directory.
type dirFS struct{ e *env }

func (d dirFS) Open(name string) (fs.File, error) { return os.Open(d.e.abs(name)) }

func (d dirFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(d.e.abs(name)) }
