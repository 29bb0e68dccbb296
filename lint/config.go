package lint

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Config is the `lint:` section of lockstep.yaml.
type Config struct {
	// PGVersion is the target PostgreSQL major version, 13 to 17.
	PGVersion int `yaml:"pg_version"`
	// Runner is how migrations are run (see Runner).
	Runner Runner `yaml:"runner"`
	// FailOn is the lowest severity that fails the run: error, warning, hint
	// or never.
	FailOn string `yaml:"fail_on"`
	// Rules turns rules off ("off") or changes their severity ("error",
	// "warning", "hint"); "on" keeps the default.
	Rules map[string]string `yaml:"rules"`
	// Exclude lists path globs (filepath.Match against the path as given and
	// against its base name) that are not linted.
	Exclude []string `yaml:"exclude"`
	// IncludeDown lints .down.sql files too.
	IncludeDown bool `yaml:"include_down"`
	// AssumeLockTimeout says lock_timeout comes from outside the files (the
	// migration role, the connection string, lockstep migrate), so
	// missing-lock-timeout does not fire.
	AssumeLockTimeout bool `yaml:"assume_lock_timeout"`
	// AssumeStatementTimeout says statement_timeout comes from outside the
	// files, so missing-statement-timeout does not fire.
	AssumeStatementTimeout bool `yaml:"assume_statement_timeout"`
}

// ConfigSchema is the JSON Schema of the lint section.
//
//go:embed schema.json
var ConfigSchema []byte

// Supported PostgreSQL versions.
const (
	MinPGVersion     = 13
	MaxPGVersion     = 17
	DefaultPGVersion = 15
)

// DefaultConfig returns the configuration used when lockstep.yaml says nothing.
func DefaultConfig() Config {
	return Config{PGVersion: DefaultPGVersion, Runner: RunnerGolangMigrate, FailOn: "error"}
}

// Normalize fills defaults and checks values. Errors are usage errors that
// name the setting.
func (c *Config) Normalize() error {
	d := DefaultConfig()
	if c.PGVersion == 0 {
		c.PGVersion = d.PGVersion
	}
	if c.Runner == "" {
		c.Runner = d.Runner
	}
	if c.FailOn == "" {
		c.FailOn = d.FailOn
	}
	if c.PGVersion < MinPGVersion || c.PGVersion > MaxPGVersion {
		return fault.Errorf(fault.Usage, "lint.pg_version: %d is not supported (want %d to %d)", c.PGVersion, MinPGVersion, MaxPGVersion)
	}
	ok := false
	for _, r := range Runners {
		ok = ok || r == c.Runner
	}
	if !ok {
		return fault.Errorf(fault.Usage, "lint.runner: unknown runner %q (want golang-migrate, multi-statement or per-statement)", c.Runner)
	}
	if _, err := c.FailSeverity(); err != nil {
		return err
	}
	for id, v := range c.Rules {
		if RuleByID(id) == nil {
			return fault.Errorf(fault.Usage, "lint.rules.%s: unknown rule id%s", id, suggest(id))
		}
		switch v {
		case "on", "off", "error", "warning", "hint":
		default:
			return fault.Errorf(fault.Usage, "lint.rules.%s: %q is not one of on, off, error, warning, hint", id, v)
		}
	}
	for _, g := range c.Exclude {
		if _, err := filepath.Match(g, ""); err != nil {
			return fault.Errorf(fault.Usage, "lint.exclude: bad pattern %q: %v", g, err)
		}
	}
	return nil
}

// FailSeverity is the lowest severity that fails, 0 for never.
func (c *Config) FailSeverity() (Severity, error) {
	if c.FailOn == "never" {
		return 0, nil
	}
	s, err := ParseSeverity(c.FailOn)
	if err != nil {
		return 0, fault.Errorf(fault.Usage, "fail-on: %q is not one of error, warning, hint, never", c.FailOn)
	}
	return s, nil
}

// Excluded reports whether a path matches an exclude pattern.
func (c *Config) Excluded(path string) bool {
	for _, g := range c.Exclude {
		if m, _ := filepath.Match(g, path); m {
			return true
		}
		if m, _ := filepath.Match(g, filepath.Base(path)); m {
			return true
		}
		if strings.HasSuffix(g, "/**") && strings.HasPrefix(path, strings.TrimSuffix(g, "**")) {
			return true
		}
	}
	return false
}

// severityOf returns a rule's effective severity, 0 when it is off.
func (c *Config) severityOf(r *Rule) Severity {
	switch v := c.Rules[r.ID]; v {
	case "off":
		return 0
	case "", "on":
		return r.Severity
	default:
		s, _ := ParseSeverity(v)
		return s
	}
}

// suggest returns ` (did you mean "x"?)` for the closest rule id.
func suggest(id string) string {
	best, bestD := "", 4
	for _, r := range Rules() {
		if d := editDistance(id, r.ID); d < bestD {
			best, bestD = r.ID, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
