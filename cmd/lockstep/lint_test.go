package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/lint"
)

const (
	createUsers = "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\n"
	indexUsers  = "CREATE INDEX users_email_idx ON users (email);\n"
)

// findings decodes `lockstep lint --format json` output.
func findings(t *testing.T, out string) []lint.Finding {
	t.Helper()
	var doc struct {
		Findings []lint.Finding `json:"findings"`
		Files    int            `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	return doc.Findings
}

// has reports whether a finding of rule starts in a file whose path ends
// with file.
func has(fs []lint.Finding, rule, file string) bool {
	for _, f := range fs {
		if f.Rule == rule && strings.HasSuffix(filepath.ToSlash(f.Pos.File), file) {
			return true
		}
	}
	return false
}

func TestLintExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		args   []string
		code   int
		stderr string // exact single line, when set
		stdout string // a substring, when set
	}{
		{name: "clean", files: map[string]string{"migrations/001_users.up.sql": createUsers},
			code: exitOK, stdout: "in 1 file"},
		{name: "finding",
			files: map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/002_index.up.sql": indexUsers},
			code:  exitFailed, stdout: "migrations/002_index.up.sql:1:1: error create-index-non-concurrent"},
		{name: "default path is ./migrations",
			files: map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/002_index.up.sql": indexUsers},
			args:  []string{"lint"}, code: exitFailed, stdout: "create-index-non-concurrent"},
		{name: "syntax error",
			files:  map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/002_bad.up.sql": "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUM b text;\n"},
			code:   exitInput,
			stderr: `lockstep: migrations/002_bad.up.sql:2:31: syntax error at or near "text"`,
			stdout: "migrations/002_bad.up.sql:2:31: error syntax-error"},
		{name: "syntax error in a DO block",
			files:  map[string]string{"migrations/001_do.up.sql": "DO $$\nBEGIN\n  UPDATE users SET email = lower(email)\n  WHERE;\nEND\n$$;\n"},
			code:   exitInput,
			stderr: `lockstep: migrations/001_do.up.sql:4:8: in the DO block at line 1: syntax error at end of input`},
		{name: "single file of any name", files: map[string]string{"change.sql": "ALTER TABLE users ADD COLUM b text;\n"},
			args: []string{"lint", "change.sql"}, code: exitInput, stderr: `lockstep: change.sql:1:31: syntax error at or near "text"`},
		{name: "misnamed migration file",
			files:  map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/002-index.sql": indexUsers},
			code:   exitInput,
			stderr: "lockstep: migrations/002-index.sql: misnamed migration file: want NNN_name.up.sql or NNN_name.down.sql"},
		{name: "duplicate version",
			files:  map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/1_again.up.sql": indexUsers},
			code:   exitInput,
			stderr: "lockstep: migrations/1_again.up.sql: duplicate migration version 1 (also migrations/001_users.up.sql)"},
		{name: "down without up",
			files:  map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/002_index.down.sql": "DROP INDEX users_email_idx;\n"},
			code:   exitInput,
			stderr: "lockstep: migrations/002_index.down.sql: down migration without an up migration of version 2"},
		{name: "missing path", files: map[string]string{}, args: []string{"lint", "nope"},
			code: exitInput, stderr: "lockstep: nope: no such file or directory"},
		{name: "empty directory", files: map[string]string{"migrations/README.md": "x"},
			code: exitInput, stderr: "lockstep: migrations: no migration files (NNN_name.up.sql)"},
		{name: "no paths and no ./migrations", files: map[string]string{}, args: []string{"lint"},
			code: exitUsage, stderr: "lockstep: no paths given and ./migrations does not exist: lockstep lint [paths...]"},
		{name: "pg-version 12", files: map[string]string{"migrations/001_users.up.sql": createUsers},
			args: []string{"lint", "migrations", "--pg-version", "12"},
			code: exitUsage, stderr: "lockstep: --pg-version 12: not supported (want 13 to 17)"},
		{name: "unknown format", files: map[string]string{"migrations/001_users.up.sql": createUsers},
			args: []string{"lint", "migrations", "--format", "xml"},
			code: exitUsage, stderr: `lockstep: --format "xml": want one of text, json, sarif, github, gitlab, rdjson, gcc`},
		{name: "bad --write", files: map[string]string{"migrations/001_users.up.sql": createUsers},
			args: []string{"lint", "migrations", "--write", "sarif"},
			code: exitUsage, stderr: `lockstep: --write "sarif": want FORMAT=PATH with FORMAT one of text, json, sarif, github, gitlab, rdjson, gcc`},
		{name: "bad --fail-on", files: map[string]string{"migrations/001_users.up.sql": createUsers},
			args: []string{"lint", "migrations", "--fail-on", "sometimes"},
			code: exitUsage, stderr: `lockstep: --fail-on "sometimes": want error, warning, hint or never`},
		{name: "bad --runner", files: map[string]string{"migrations/001_users.up.sql": createUsers},
			args: []string{"lint", "migrations", "--runner", "flyway"},
			code: exitUsage, stderr: `lockstep: --runner "flyway": want golang-migrate, multi-statement, per-statement`},
		{name: "unknown flag", files: map[string]string{"migrations/001_users.up.sql": createUsers},
			args: []string{"lint", "--colour"}, code: exitUsage, stderr: "lockstep: unknown flag: --colour (see --help)"},
		{name: "bad ignore directive",
			files: map[string]string{"migrations/001_users.up.sql": createUsers,
				"migrations/002_index.up.sql": "-- lockstep:ignore create-index-non-concurent small table\n" + indexUsers},
			code:   exitUsage,
			stderr: `lockstep: migrations/002_index.up.sql:1: lockstep:ignore: unknown rule id "create-index-non-concurent" (did you mean "create-index-non-concurrent"?)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tree(t, tc.files)
			args := tc.args
			if args == nil {
				args = []string{"lint", "migrations"}
			}
			got := lockstep(t, dir, args...)
			got.assertExit(t, tc.code)
			if tc.stderr != "" {
				got.assertStderr(t, tc.stderr)
			}
			if !strings.Contains(got.stdout, tc.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.stdout, got.stdout)
			}
		})
	}
}

func TestLintConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, stderr string
	}{
		{"unknown key", "version: 1\nlint:\n  pg_versoin: 15\n",
			`lockstep: lockstep.yaml:3:3: lint.pg_versoin: unknown key (did you mean "pg_version"?)`},
		{"unknown section", "lnt:\n  pg_version: 15\n",
			`lockstep: lockstep.yaml:1:1: lnt: unknown key (did you mean "lint"?)`},
		{"wrong type", "lint:\n  pg_version: fifteen\n",
			`lockstep: lockstep.yaml:2:3: lint.pg_version: got "fifteen", want an integer from 13 to 17`},
		{"wrong type without bounds", "lint:\n  include_down: 1\n",
			"lockstep: lockstep.yaml:2:3: lint.include_down: got number, want boolean"},
		{"out of range", "lint:\n  pg_version: 12\n",
			"lockstep: lockstep.yaml:2:3: lint.pg_version: got 12, want an integer from 13 to 17"},
		// Unknown keys in sections reached through $ref, maps and lists.
		{"unknown key behind a $ref", "version: 1\ngates:\n  timezone: UTC\n  windows: []\n  gitlab_freezes: false\n  error_budget:\n    min_remaning: 10%\n",
			`lockstep: lockstep.yaml:7:5: gates.error_budget.min_remaning: unknown key (did you mean "min_remaining"?)`},
		{"unknown key in an environment", "gates:\n  environments:\n    production:\n      timezon: UTC\n",
			`lockstep: lockstep.yaml:4:7: gates.environments.production.timezon: unknown key (did you mean "timezone"?)`},
		{"unknown key behind a $ref in an environment", "gates:\n  environments:\n    staging:\n      error_budget:\n        objectiv: 99\n",
			`lockstep: lockstep.yaml:5:9: gates.environments.staging.error_budget.objectiv: unknown key (did you mean "objective"?)`},
		{"unknown key far from any behind a $ref", "gates:\n  override:\n    zzzzzzzz: true\n",
			`lockstep: lockstep.yaml:3:5: gates.override.zzzzzzzz: unknown key (allowed: allowed, groups, never, reason_required)`},
		{"two unknown keys: the first is named", "gates:\n  error_budget:\n    zzz_last: 1\n    objectve: 99\n    bbb: 2\n  windws: []\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.zzz_last: unknown key (allowed: bad, burn_rates, enabled, min_remaining, no_data, objective, on_error, prometheus, pyrra, ratio, sloth, timeout, total, window)`},
		{"unknown key in a list item", "deploy:\n  provider: shell\n  canary:\n    steps:\n      - wieght: 10\n",
			`lockstep: lockstep.yaml:5:9: deploy.canary.steps[0].wieght: unknown key (did you mean "weight"?)`},
		{"missing key in a list item", "deploy:\n  provider: shell\n  canary:\n    steps:\n      - pause: 1m\n",
			`lockstep: lockstep.yaml:5:9: deploy.canary.steps[0]: missing required key weight`},
		// Patterns in words.
		{"gates duration", "gates:\n  error_budget:\n    window: 4 weeks\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.window: got "4 weeks", want a duration such as 28d, 6h or 90m`},
		{"gates duration behind two $refs", "gates:\n  rollout_duration: 1.5h\n",
			`lockstep: lockstep.yaml:2:3: gates.rollout_duration: got "1.5h", want a duration such as 28d, 6h or 90m`},
		{"deploy duration", "deploy:\n  provider: shell\n  analysis:\n    interval: 1 minute\n",
			`lockstep: lockstep.yaml:4:5: deploy.analysis.interval: got "1 minute", want a duration such as 500ms, 30s, 5m or 1h30m`},
		{"migrations duration", "migrations:\n  lock_timeout: 2 seconds\n",
			`lockstep: lockstep.yaml:2:3: migrations.lock_timeout: got "2 seconds", want a duration such as 500ms, 2s, 10m or 1h30m, or 0`},
		{"percentage", "gates:\n  error_budget:\n    min_remaining: ten\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.min_remaining: got "ten", want a percentage such as 10% or 2.5%`},
		{"count or percentage", "deploy:\n  provider: shell\n  rolling:\n    max_surge: lots\n",
			`lockstep: lockstep.yaml:4:5: deploy.rolling.max_surge: got "lots", want a count or a percentage such as 2 or 25%`},
		{"time of day", "gates:\n  windows:\n    - from: 9am\n      to: '17:00'\n",
			`lockstep: lockstep.yaml:3:7: gates.windows[0].from: got "9am", want a time of day HH:MM such as 09:00`},
		{"closing time", "gates:\n  windows:\n    - from: '09:00'\n      to: '25:00'\n",
			`lockstep: lockstep.yaml:4:7: gates.windows[0].to: got "25:00", want a time of day HH:MM such as 17:30 or 24:00`},
		{"day", "gates:\n  windows:\n    - days: [mon, friday]\n      from: '09:00'\n      to: '17:00'\n",
			`lockstep: lockstep.yaml:3:19: gates.windows[0].days[1]: got "friday", want a day (mon..sun), a range such as mon-fri, weekdays, weekend or daily`},
		{"url", "deploy:\n  provider: shell\n  analysis:\n    prometheus: localhost:9090\n",
			`lockstep: lockstep.yaml:4:5: deploy.analysis.prometheus: got "localhost:9090", want an http:// or https:// URL`},
		{"bad environment name", "gates:\n  environments:\n    'prod env': {}\n",
			`lockstep: lockstep.yaml:3:5: gates.environments.prod env: invalid key; want a name of letters, digits, _, ., / and - that starts with a letter or digit`},
		{"rule id not in kebab-case", "lint:\n  rules:\n    Drop_Column: off\n",
			`lockstep: lockstep.yaml:3:5: lint.rules.Drop_Column: invalid key; want a rule id such as drop-column (lockstep rules lists them)`},
		// Bounded numbers name their range.
		{"objective 100", "gates:\n  error_budget:\n    objective: 100\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.objective: got 100, want a percentage greater than 0 and less than 100, such as 99.9`},
		{"objective 120", "gates:\n  error_budget:\n    objective: 120\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.objective: got 120, want a percentage greater than 0 and less than 100, such as 99.9`},
		{"objective 0", "gates:\n  error_budget:\n    objective: 0\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.objective: got 0, want a percentage greater than 0 and less than 100, such as 99.9`},
		{"objective high", "gates:\n  error_budget:\n    objective: high\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.objective: got "high", want a percentage greater than 0 and less than 100, such as 99.9`},
		{"objective with a percent sign", "gates:\n  environments:\n    production:\n      error_budget:\n        objective: 99.95%\n",
			`lockstep: lockstep.yaml:5:9: gates.environments.production.error_budget.objective: got "99.95%", want a percentage greater than 0 and less than 100, such as 99.9`},
		{"objective true", "gates:\n  error_budget:\n    objective: true\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.objective: got boolean, want a percentage greater than 0 and less than 100, such as 99.9`},
		{"min_remaining above 100", "gates:\n  error_budget:\n    min_remaining: 120\n",
			`lockstep: lockstep.yaml:3:5: gates.error_budget.min_remaining: got 120, want a percentage from 0 to 100, such as 10%`},
		{"weight above 100", "deploy:\n  provider: shell\n  canary:\n    steps: [{weight: 150}]\n",
			`lockstep: lockstep.yaml:4:14: deploy.canary.steps[0].weight: got 150, want an integer from 0 to 100`},
		{"rate not positive", "gates:\n  backfill_rows_per_second: 0\n",
			`lockstep: lockstep.yaml:2:3: gates.backfill_rows_per_second: got 0, want a number greater than 0`},
		{"bad enum", "lint:\n  runner: flyway\n",
			"lockstep: lockstep.yaml:2:3: lint.runner: value must be one of 'golang-migrate', 'multi-statement', 'per-statement'"},
		{"bad rule setting", "lint:\n  rules:\n    drop-column: offf\n",
			"lockstep: lockstep.yaml:3:5: lint.rules.drop-column: value must be one of 'on', 'off', 'error', 'warning', 'hint'"},
		{"bad rule id", "lint:\n  rules:\n    drop-colum: off\n",
			`lockstep: lockstep.yaml:3:5: lint.rules.drop-colum: unknown rule id (did you mean "drop-column"?)`},
		{"bad rule id far from any", "lint:\n  rules:\n    zzzzzzzzzzzz: off\n",
			`lockstep: lockstep.yaml:3:5: lint.rules.zzzzzzzzzzzz: unknown rule id (lockstep rules lists them)`},
		{"bad yaml", "lint:\n  rules: [\n",
			`lockstep: lockstep.yaml:2:10: sequence end token ']' not found`},
		{"duplicate key", "lint:\n  fail_on: error\n  fail_on: never\n",
			`lockstep: lockstep.yaml:3:3: mapping key "fail_on" already defined at [2:3]`},
		{"section of the wrong type", "lint:\n  - pg_version\n",
			"lockstep: lockstep.yaml:1:1: lint: got array, want object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tree(t, map[string]string{"lockstep.yaml": tc.yaml, "migrations/001_users.up.sql": createUsers})
			got := lockstep(t, dir, "lint", "migrations")
			got.assertExit(t, exitUsage)
			got.assertStderr(t, tc.stderr)
			if got.stdout != "" {
				t.Errorf("a configuration error printed findings:\n%s", got.stdout)
			}
		})
	}
	t.Run("explicit --config that does not exist", func(t *testing.T) {
		dir := tree(t, map[string]string{"migrations/001_users.up.sql": createUsers})
		got := lockstep(t, dir, "lint", "migrations", "--config", "ci/lockstep.yaml")
		got.assertExit(t, exitUsage)
		got.assertStderr(t, "lockstep: ci/lockstep.yaml: no such file or directory")
	})
}

// TestLintConfigApplied: every lint setting of lockstep.yaml changes the run,
// and flags override the file.
func TestLintConfigApplied(t *testing.T) {
	files := map[string]string{
		"migrations/001_users.up.sql":         createUsers + "CREATE TABLE legacy (id bigint PRIMARY KEY, note text);\n",
		"migrations/002_index.up.sql":         indexUsers,
		"migrations/003_drop.up.sql":          "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n",
		"migrations/004_skip_legacy.up.sql":   "ALTER TABLE legacy DROP COLUMN note;\n",
		"migrations/004_skip_legacy.down.sql": "ALTER TABLE legacy ADD COLUMN note text;\n",
	}
	// Without configuration: all three files report, down files are not linted.
	dir := tree(t, files)
	got := lockstep(t, dir, "lint", "migrations", "--format", "json")
	got.assertExit(t, exitFailed)
	fs := findings(t, got.stdout)
	for _, want := range []struct{ rule, file string }{
		{"create-index-non-concurrent", "002_index.up.sql"}, {"missing-lock-timeout", "002_index.up.sql"},
		{"drop-column", "003_drop.up.sql"}, {"drop-column", "004_skip_legacy.up.sql"},
	} {
		if !has(fs, want.rule, want.file) {
			t.Errorf("without configuration: no %s in %s: %v", want.rule, want.file, fs)
		}
	}

	writeTree(t, dir, map[string]string{"lockstep.yaml": `# yaml-language-server: $schema=../lockstep.schema.json
version: 1
lint:
  pg_version: 16
  fail_on: warning
  assume_lock_timeout: true
  include_down: true
  exclude: ["*_skip_*.up.sql"]
  rules:
    create-index-non-concurrent: warning
    drop-column: "off"
`})
	got = lockstep(t, dir, "lint", "migrations", "--format", "json")
	got.assertExit(t, exitFailed) // a warning fails with fail_on: warning
	fs = findings(t, got.stdout)
	if has(fs, "missing-lock-timeout", "002_index.up.sql") {
		t.Error("assume_lock_timeout: true did not silence missing-lock-timeout")
	}
	if has(fs, "drop-column", "") {
		t.Error(`drop-column: "off" did not turn the rule off`)
	}
	if has(fs, "", "004_skip_legacy.up.sql") {
		t.Error("exclude did not skip 004_skip_legacy.up.sql")
	}
	sev := ""
	for _, f := range fs {
		if f.Rule == "create-index-non-concurrent" {
			sev = f.Severity.String()
		}
	}
	if sev != "warning" {
		t.Errorf("create-index-non-concurrent severity = %q; want warning from lint.rules", sev)
	}
	// include_down: the down file is linted (its ADD COLUMN is no finding, but
	// it is counted).
	var doc struct{ Files int }
	json.Unmarshal([]byte(got.stdout), &doc)
	if doc.Files != 4 {
		t.Errorf("files = %d; want 4 (001, 002, 003 and the down file of 004)", doc.Files)
	}
	// A flag wins over the file.
	got = lockstep(t, dir, "lint", "migrations", "--fail-on", "error")
	got.assertExit(t, exitOK)
	if !strings.Contains(got.stdout, "warning create-index-non-concurrent") {
		t.Errorf("text output lacks the warning:\n%s", got.stdout)
	}
}

func TestLintFailOn(t *testing.T) {
	// One warning (the severity lowered by the config), no error.
	dir := tree(t, map[string]string{
		"lockstep.yaml":               "lint:\n  assume_lock_timeout: true\n  rules:\n    create-index-non-concurrent: warning\n",
		"migrations/001_users.up.sql": createUsers,
		"migrations/002_index.up.sql": indexUsers,
	})
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, exitOK},
		{[]string{"--fail-on", "error"}, exitOK},
		{[]string{"--fail-on", "warning"}, exitFailed},
		{[]string{"--fail-on", "hint"}, exitFailed},
		{[]string{"--fail-on", "never"}, exitOK},
	} {
		got := lockstep(t, dir, append([]string{"lint", "migrations"}, tc.args...)...)
		if got.code != tc.code {
			t.Errorf("lint %v: exit %d; want %d\n%s%s", tc.args, got.code, tc.code, got.stdout, got.stderr)
		}
		if got.stderr != "" {
			t.Errorf("lint %v: findings are a result, not an error, yet stderr = %q", tc.args, got.stderr)
		}
	}
	// An error fails by default and not with --fail-on never; a syntax error
	// is bad input whatever --fail-on says.
	dir = tree(t, map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/002_index.up.sql": indexUsers})
	lockstep(t, dir, "lint", "migrations").assertExit(t, exitFailed)
	lockstep(t, dir, "lint", "migrations", "--fail-on", "never").assertExit(t, exitOK)
	writeTree(t, dir, map[string]string{"migrations/003_bad.up.sql": "SELEC 1;\n"})
	lockstep(t, dir, "lint", "migrations", "--fail-on", "never").assertExit(t, exitInput)
}

func TestLintIncludeDown(t *testing.T) {
	dir := tree(t, map[string]string{
		"migrations/001_users.up.sql":   createUsers,
		"migrations/002_index.up.sql":   "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
		"migrations/002_index.down.sql": "DROP INDEX users_email_idx;\n",
	})
	got := lockstep(t, dir, "lint", "migrations", "--format", "json", "--fail-on", "never")
	got.assertExit(t, exitOK)
	if has(findings(t, got.stdout), "", ".down.sql") {
		t.Errorf("down files linted without --include-down: %s", got.stdout)
	}
	got = lockstep(t, dir, "lint", "migrations", "--format", "json", "--fail-on", "never", "--include-down")
	got.assertExit(t, exitOK)
	fs := findings(t, got.stdout)
	if !has(fs, "drop-index-non-concurrent", "002_index.down.sql") {
		t.Errorf("--include-down: no drop-index-non-concurrent in the down file: %v", fs)
	}
}

func TestLintSince(t *testing.T) {
	dir := tree(t, map[string]string{
		"migrations/001_users.up.sql": createUsers,
		"migrations/002_index.up.sql": indexUsers, // released: not reported
	})
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "base")
	gitIn(t, dir, "checkout", "-q", "-b", "feature")
	writeTree(t, dir, map[string]string{
		"migrations/003_orders.up.sql":       "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL, total numeric NOT NULL);\n",
		"migrations/004_orders_index.up.sql": "CREATE INDEX orders_user_idx ON orders (user_id);\n", // orders is unreleased: fine
	})
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "orders")
	// Untracked files count as added too.
	writeTree(t, dir, map[string]string{"migrations/005_users_drop.up.sql": "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n"})

	got := lockstep(t, dir, "lint", "migrations", "--since", "main", "--format", "json")
	got.assertExit(t, exitFailed)
	fs := findings(t, got.stdout)
	for _, f := range fs {
		if strings.Contains(f.Pos.File, "001_") || strings.Contains(f.Pos.File, "002_") {
			t.Errorf("--since main reported a file older than main: %s %s", f.Pos, f.Rule)
		}
	}
	if has(fs, "create-index-non-concurrent", "004_orders_index.up.sql") {
		t.Error("an index on a table created since main was flagged: orders has no readers yet")
	}
	if !has(fs, "drop-column", "005_users_drop.up.sql") {
		t.Errorf("no drop-column in the untracked 005 (users was created before main, so it has readers): %v", fs)
	}
	var doc struct{ Files int }
	json.Unmarshal([]byte(got.stdout), &doc)
	if doc.Files != 3 {
		t.Errorf("files = %d; want 3 (the files added since main)", doc.Files)
	}
	// The older files were replayed: without --since, 004 is still fine, 002 is flagged.
	got = lockstep(t, dir, "lint", "migrations", "--format", "json")
	if fs := findings(t, got.stdout); !has(fs, "create-index-non-concurrent", "002_index.up.sql") || !has(fs, "create-index-non-concurrent", "004_orders_index.up.sql") {
		t.Errorf("without --since, both indexes are on released tables: %v", fs)
	}

	// Standard input is not committed: it counts as added, and sees orders
	// as unreleased.
	got = runInput(t, dir, nil, "CREATE INDEX orders_total_idx ON orders (total);\nCREATE INDEX users_email_idx ON users (email);\n",
		"lint", "migrations", "-", "--stdin-filepath", "migrations/006_more.up.sql", "--since", "main", "--format", "json")
	if fs := findings(t, got.stdout); has(fs, "create-index-non-concurrent", "006_more.up.sql") != true || strings.Count(got.stdout, `"rule":"create-index-non-concurrent","severity":"error","file":"migrations/006_more.up.sql"`) != 1 {
		t.Errorf("stdin under --since: want the users index flagged and the orders one not:\n%s", got.stdout)
	}

	got = lockstep(t, dir, "lint", "migrations", "--since", "no-such-branch")
	got.assertExit(t, exitUsage)
	got.assertStderr(t, "lockstep: --since no-such-branch: unknown git revision (in CI, fetch it first: git fetch origin <base>)")

	outside := tree(t, map[string]string{"migrations/001_users.up.sql": createUsers})
	got = lockstep(t, outside, "lint", "migrations", "--since", "main")
	got.assertExit(t, exitUsage)
	if !strings.HasPrefix(got.stderr, "lockstep: --since main: not in a git repository") || strings.Count(got.stderr, "\n") != 1 {
		t.Errorf("stderr = %q; want one line saying it is not a git repository", got.stderr)
	}
}

func TestLintWrite(t *testing.T) {
	dir := tree(t, map[string]string{
		"migrations/001_users.up.sql": createUsers,
		"migrations/002_index.up.sql": indexUsers,
	})
	got := lockstep(t, dir, "lint", "migrations", "--write", "sarif=out/lockstep.sarif", "--write", "gitlab=gl.json",
		"--write", "json=out/lint.json", "--write", "rdjson=rd.json", "--write", "github=gh.txt", "--write", "text=lint.txt")
	got.assertExit(t, exitFailed)
	if !strings.Contains(got.stdout, "error create-index-non-concurrent") {
		t.Errorf("text on stdout missing:\n%s", got.stdout)
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatalf("--write did not write %s: %v", p, err)
		}
		return b
	}
	var sarif struct {
		Version string
		Runs    []struct {
			Results []struct{ RuleID string }
		}
	}
	if err := json.Unmarshal(read("out/lockstep.sarif"), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) == 0 {
		t.Errorf("out/lockstep.sarif: %v %+v", err, sarif)
	}
	var gl []map[string]any
	if err := json.Unmarshal(read("gl.json"), &gl); err != nil || len(gl) == 0 {
		t.Errorf("gl.json: %v %v", err, gl)
	}
	if fs := findings(t, string(read("out/lint.json"))); !has(fs, "create-index-non-concurrent", "002_index.up.sql") {
		t.Errorf("out/lint.json lacks the finding: %v", fs)
	}
	if !strings.Contains(string(read("rd.json")), `"value": "create-index-non-concurrent"`) {
		t.Error("rd.json lacks the finding")
	}
	if !strings.HasPrefix(string(read("gh.txt")), "::error ") {
		t.Error("gh.txt is not workflow commands")
	}
	if txt := string(read("lint.txt")); strings.Contains(txt, "\x1b[") || !strings.Contains(txt, "create-index-non-concurrent") {
		t.Errorf("lint.txt: want plain text with the finding, got:\n%s", txt)
	}

	// -o sends the main format to a file; stdout stays empty.
	got = lockstep(t, dir, "lint", "migrations", "-f", "json", "-o", "main.json")
	got.assertExit(t, exitFailed)
	if got.stdout != "" || len(findings(t, string(read("main.json")))) == 0 {
		t.Errorf("-o: stdout %q", got.stdout)
	}
	// An unwritable path is an error naming it.
	got = lockstep(t, dir, "lint", "migrations", "--write", "sarif=migrations/001_users.up.sql/x.sarif")
	got.assertExit(t, exitUsage)
	if !strings.HasPrefix(got.stderr, "lockstep: migrations/001_users.up.sql/x.sarif: ") {
		t.Errorf("stderr = %q", got.stderr)
	}
}

func TestLintColorOnlyOnTTY(t *testing.T) {
	dir := tree(t, map[string]string{"migrations/001_users.up.sql": createUsers, "migrations/002_index.up.sql": indexUsers})
	got := lockstep(t, dir, "lint", "migrations")
	if strings.Contains(got.stdout, "\x1b[") {
		t.Error("colour without a terminal")
	}
	var stdout, stderr strings.Builder
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, tty: true, workdir: dir}
	run(t.Context(), []string{"lint", "migrations"}, e)
	if !strings.Contains(stdout.String(), "\x1b[") {
		t.Error("no colour on a terminal")
	}
}

// "-" is SQL on standard input: linted after the history before it, named
// by --stdin-filepath, new under --since.
func TestLintStdin(t *testing.T) {
	dir := tree(t, map[string]string{
		"migrations/001_create_items.up.sql": "CREATE TABLE items (id bigint PRIMARY KEY, name text);\n",
	})
	r := runInput(t, dir, nil, "CREATE INDEX items_name ON items (name);\n", "lint", "-", "--format", "github")
	if r.code != 1 || !strings.Contains(r.stdout, ",file=stdin.sql,line=1,title=lockstep create-index-non-concurrent::") {
		t.Fatalf("lint -: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// After the history the table exists, created by an earlier file: the
	// index still blocks its writes. Named as the file it will become.
	name := "migrations/002_items_name.up.sql"
	r = runInput(t, dir, nil, "SET lock_timeout = '1s'; SET statement_timeout = '1min';\nCREATE INDEX items_name ON items (name);\n",
		"lint", "migrations", "-", "--stdin-filepath", name, "--format", "json")
	if r.code != 1 || !strings.Contains(r.stdout, `"rule":"create-index-non-concurrent","severity":"error","file":"`+name+`","line":2`) || !strings.Contains(r.stdout, `"files":2`) {
		t.Fatalf("lint migrations -: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The same table created on standard input itself has no readers.
	r = runInput(t, dir, nil, "CREATE TABLE fresh (id bigint);\nCREATE INDEX fresh_id ON fresh (id);\n", "lint", "-", "--format", "json")
	if strings.Contains(r.stdout, "create-index-non-concurrent") {
		t.Fatalf("an index on a table the same input creates was flagged:\n%s", r.stdout)
	}
	if r := runInput(t, dir, nil, "SELECT 1;", "lint", "-", "-"); r.code != 2 {
		t.Fatalf("- twice: exit %d, want 2\n%s", r.code, r.stderr)
	}
	if r := runInput(t, dir, nil, "SELEC 1;", "lint", "-"); r.code != 3 || !strings.Contains(r.stderr, "stdin.sql:1:1: syntax error at or near \"SELEC\"") {
		t.Fatalf("bad SQL on stdin: exit %d\n%s", r.code, r.stderr)
	}
}

// --exclude turns rules off from the command line, as squawk's does; a
// misspelt id is a usage error with a suggestion.
func TestLintExclude(t *testing.T) {
	dir := tree(t, map[string]string{
		"001_t.up.sql": "CREATE TABLE t (id int PRIMARY KEY, at timestamp);\n",
	})
	all := lockstep(t, dir, "lint", "001_t.up.sql", "--format", "json", "--fail-on", "never")
	if !strings.Contains(all.stdout, `"rule":"prefer-bigint"`) || !strings.Contains(all.stdout, `"rule":"prefer-timestamptz"`) {
		t.Fatalf("want prefer-bigint and prefer-timestamptz without --exclude:\n%s", all.stdout)
	}
	got := lockstep(t, dir, "lint", "001_t.up.sql", "--format", "json", "--fail-on", "never", "-e", "prefer-bigint", "--exclude", "prefer-identity,prefer-timestamptz")
	if got.code != 0 || strings.Contains(got.stdout, `"rule":"prefer-bigint"`) || strings.Contains(got.stdout, `"rule":"prefer-timestamptz"`) {
		t.Fatalf("--exclude left its rules on: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	got = lockstep(t, dir, "lint", "001_t.up.sql", "--exclude", "prefer-bigints")
	got.assertExit(t, exitUsage)
	got.assertStderr(t, "lockstep: --exclude prefer-bigints: unknown rule id (did you mean \"prefer-bigint\"?)")
}

// --latest N reports the last N files, the older ones replayed as history.
func TestLintLatest(t *testing.T) {
	dir := tree(t, map[string]string{
		"migrations/001_users.up.sql":   createUsers,
		"migrations/002_index.up.sql":   indexUsers,
		"migrations/002_index.down.sql": "DROP INDEX users_email_idx;\n",
		"migrations/003_drop.up.sql":    "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n",
	})
	got := lockstep(t, dir, "lint", "migrations", "--latest", "1", "--include-down", "--format", "json")
	got.assertExit(t, exitFailed)
	fs := findings(t, got.stdout)
	if !has(fs, "drop-column", "003_drop.up.sql") || has(fs, "create-index-non-concurrent", "002_index.up.sql") {
		t.Errorf("--latest 1: want 003's drop-column (users known from 001) and nothing from 002: %v", fs)
	}
	var doc struct{ Files int }
	json.Unmarshal([]byte(got.stdout), &doc)
	if doc.Files != 1 {
		t.Errorf("files = %d; want 1", doc.Files)
	}
	got = lockstep(t, dir, "lint", "migrations", "--latest", "9", "--format", "json")
	if fs := findings(t, got.stdout); !has(fs, "create-index-non-concurrent", "002_index.up.sql") || !has(fs, "drop-column", "003_drop.up.sql") {
		t.Errorf("--latest beyond the history lints all of it: %v", fs)
	}
	for _, args := range [][]string{{"--latest", "-1"}, {"--latest", "1", "--since", "main"}} {
		got = lockstep(t, dir, append([]string{"lint", "migrations"}, args...)...)
		got.assertExit(t, exitUsage)
	}
}
