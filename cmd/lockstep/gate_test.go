package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/internal/apitest"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/report"
)

// issuePolicy is the policy of issue 6, as written, without error_budget
// (TestGateIssuePolicyPrometheusDown keeps it, pointed at a closed port).
const issuePolicy = `gates:
  timezone: Europe/Berlin
  windows:
    - days: [mon, tue, wed, thu]
      from: "09:00"
      to: "16:00"
  freezes:
    - name: year-end
      from: 2026-12-20
      to: 2027-01-04
  override:
    allowed: [alice]
`

type gateJSON struct {
	Open     bool   `json:"open"`
	NextOpen string `json:"next_open"`
	Checks   []struct {
		Name string `json:"name"`
	} `json:"checks"`
}

func decodeGate(t *testing.T, c cli) gateJSON {
	t.Helper()
	var d gateJSON
	if err := json.Unmarshal([]byte(c.stdout), &d); err != nil {
		t.Fatalf("gate --format json: %v\n%s\nstderr: %s", err, c.stdout, c.stderr)
	}
	return d
}

func TestGateIssuePolicy(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": issuePolicy})

	// Thursday 10:30 in Berlin: inside the window, no freeze.
	c := lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-26T10:30:00+01:00", "--format", "json")
	c.assertExit(t, 0)
	if d := decodeGate(t, c); !d.Open || len(d.Checks) == 0 {
		t.Errorf("Thursday 10:30: %+v; want open with its checks", d)
	}

	// Friday 18:30: outside every window; the next one is Monday 09:00 in
	// the policy's zone, with its offset.
	c = lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00", "--format", "json")
	c.assertExit(t, 1)
	if d := decodeGate(t, c); d.Open || d.NextOpen != "2026-11-30T09:00:00+01:00" {
		t.Errorf("Friday 18:30: open=%v next_open=%q; want closed, next_open 2026-11-30T09:00:00+01:00", d.Open, d.NextOpen)
	}

	// Inside the year-end freeze on a Tuesday morning: closed until the
	// first window after the freeze ends.
	c = lockstep(t, dir, "gate", "--env", "production", "--at", "2026-12-22T10:00:00+01:00")
	c.assertExit(t, 1)
	if !strings.Contains(c.stdout, "year-end") {
		t.Errorf("freeze decision does not name the freeze:\n%s", c.stdout)
	}

	// alice may override the window; bob may not.
	c = runIn(t, dir, []string{"GITHUB_ACTOR=alice"}, "gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00",
		"--override", "INC-1: checkout down", "--override-gates", "window")
	c.assertExit(t, 0)
	c = runIn(t, dir, []string{"GITHUB_ACTOR=bob"}, "gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00",
		"--override", "INC-1: checkout down", "--override-gates", "window")
	c.assertExit(t, 1)
	// An override bypasses only what it names: the freeze still holds.
	c = runIn(t, dir, []string{"GITHUB_ACTOR=alice"}, "gate", "--env", "production", "--at", "2026-12-22T10:00:00+01:00",
		"--override", "INC-2", "--override-gates", "window")
	c.assertExit(t, 1)
}

func TestGateConfigErrors(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": strings.Replace(issuePolicy, "timezone: Europe/Berlin", "timezone: Europe/Nowhere", 1)})
	c := lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-26T10:30:00+01:00")
	c.assertExit(t, 2)
	if !strings.Contains(c.stderr, "timezone") {
		t.Errorf("a bad timezone must be named: %q", c.stderr)
	}
	dir = tree(t, map[string]string{"lockstep.yaml": strings.Replace(issuePolicy, "windows:", "windowz:", 1)})
	c = lockstep(t, dir, "gate", "--env", "production")
	c.assertExit(t, 2)
	if !strings.Contains(c.stderr, "windowz") {
		t.Errorf("an unknown key must be named: %q", c.stderr)
	}
}

func TestGateIssuePolicyPrometheusDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	policy := issuePolicy + `  error_budget:
    prometheus: http://` + addr + `
    objective: 99.9
    window: 28d
    min_remaining: 10%
    bad: sum(rate(http_requests_total{code=~"5.."}[{{.Window}}]))
    total: sum(rate(http_requests_total[{{.Window}}]))
`
	dir := tree(t, map[string]string{"lockstep.yaml": policy})
	c := lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-26T10:30:00+01:00")
	c.assertExit(t, 4)
	if n := strings.Count(strings.TrimSpace(c.stderr), "\n"); n != 0 || !strings.Contains(c.stderr, addr) {
		t.Errorf("want one line naming Prometheus at %s, got %q", addr, c.stderr)
	}
}

// The decision and its reasons reach the pull request: the gate section of
// the sticky comment, the lockstep/gate status, the job summary and the
// step outputs; an accepted override is named in all of them.
func TestGateReportGitHub(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": issuePolicy})
	srv := apitest.New(t)
	var sticky string
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/issues/7/comments", Status: 201, Reply: `{"id": 5}`,
			Check: stickyCheck(t, "", report.StageGate, "❌ **Gate**: closed by window; next window Mon 2026-11-30 09:00 Europe/Berlin · [run]("+runURL+")", &sticky)},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + rptHead, Status: 201, Reply: `{}`, Body: apitest.JSON(map[string]any{
			"state": "failure", "context": "lockstep/gate", "description": "closed by window; next window Mon 2026-11-30 09:00 Europe/Berlin", "target_url": runURL})},
	)
	c := runIn(t, dir, githubEnv(t, dir, srv.URL()), "gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00")
	c.assertExit(t, exitFailed)
	srv.Verify()
	if !strings.Contains(sticky, "| window | **closed** | outside the deploy windows (mon-thu 09:00–16:00) |") {
		t.Errorf("the gate section lacks the closed window and why:\n%s", sticky)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "output.txt"))
	for _, kv := range []string{"gate<<", "\nclosed\n", "next_open<<", "\n2026-11-30T09:00:00+01:00\n", "closed_by<<"} {
		if !strings.Contains(string(out), kv) {
			t.Errorf("outputs lack %q:\n%s", kv, out)
		}
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(s), "lockstep gate: closed by window") {
		t.Errorf("job summary = %q", s)
	}

	// alice overrides the window: open, and the override is reported.
	dir = tree(t, map[string]string{"lockstep.yaml": issuePolicy})
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/issues/7/comments", Status: 201, Reply: `{"id": 5}`,
			Check: stickyCheck(t, "", report.StageGate, "✅ **Gate**: open by override of window (alice: INC-1: checkout down) · [run]("+runURL+")", &sticky)},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + rptHead, Status: 201, Reply: `{}`, Body: apitest.JSON(map[string]any{
			"state": "success", "context": "lockstep/gate", "description": "open by override of window (alice: INC-1: checkout down)", "target_url": runURL})},
	)
	c = runIn(t, dir, githubEnv(t, dir, srv.URL(), "GITHUB_ACTOR=alice"), "gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00",
		"--override", "INC-1: checkout down", "--override-gates", "window")
	c.assertExit(t, exitOK)
	srv.Verify()
	if !strings.Contains(c.stdout, `override by alice accepted: "INC-1: checkout down"; bypasses window`) {
		t.Errorf("the accepted override is not printed:\n%s", c.stdout)
	}
	if !strings.Contains(sticky, "> **Override** by @alice: INC-1: checkout down (bypasses window)") {
		t.Errorf("the sticky comment does not name the override:\n%s", sticky)
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(s), "**Override** by @alice") {
		t.Errorf("job summary does not name the override: %q", s)
	}
	out, _ = os.ReadFile(filepath.Join(dir, "output.txt"))
	if !strings.Contains(string(out), "overridden<<") || !strings.Contains(string(out), "\nopen\n") {
		t.Errorf("outputs lack gate=open and overridden:\n%s", out)
	}
}

// Every way an override is refused exits 1 and says why; an unknown gate
// name is a usage error.
func TestGateOverrideRefused(t *testing.T) {
	policy := issuePolicy + "    never: [freeze]\n"
	dir := tree(t, map[string]string{"lockstep.yaml": policy})
	friday := []string{"gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00"}
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"not allowed", []string{"GITHUB_ACTOR=bob"}, []string{"--override", "INC-1", "--override-gates", "window"}, exitFailed, "bob may not override"},
		{"no actor", nil, []string{"--override", "INC-1", "--override-gates", "window"}, exitFailed, "no actor"},
		{"empty reason", []string{"GITHUB_ACTOR=alice"}, []string{"--override", " ", "--override-gates", "window"}, exitFailed, "needs a reason"},
		{"no gates named", []string{"GITHUB_ACTOR=alice"}, []string{"--override", "INC-1"}, exitFailed, "names the gates it bypasses"},
		{"never overridden", []string{"GITHUB_ACTOR=alice"}, []string{"--override", "INC-1", "--override-gates", "window,freeze"}, exitFailed, "freeze may never be overridden"},
		{"unknown gate", []string{"GITHUB_ACTOR=alice"}, []string{"--override", "INC-1", "--override-gates", "windw"}, exitUsage, `unknown gate "windw"`},
		{"gitlab actor, from the environment", []string{"GITLAB_USER_LOGIN=alice", "LOCKSTEP_OVERRIDE=INC-2", "LOCKSTEP_OVERRIDE_GATES=window"}, nil, exitOK, "override by alice accepted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := runIn(t, dir, append([]string{"LOCKSTEP_REPORT=none"}, tc.env...), append(append([]string{}, friday...), tc.args...)...)
			c.assertExit(t, tc.code)
			if !strings.Contains(c.stdout+c.stderr, tc.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tc.want, c.stdout, c.stderr)
			}
		})
	}
}

// An override is recorded in the ledger's audit log: who, why, when, what
// it named and bypassed; a refused one too.
func TestGateOverrideAudited(t *testing.T) {
	db := pgtest.Database(t)
	dir := tree(t, map[string]string{"lockstep.yaml": issuePolicy})
	vars := []string{"LOCKSTEP_REPORT=none", "LOCKSTEP_DATABASE_URL=" + db, "LOCKSTEP_RELEASE=v7"}
	c := runIn(t, dir, append(vars, "GITHUB_ACTOR=alice"), "gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00",
		"--override", "INC-1: checkout down", "--override-gates", "window")
	c.assertExit(t, exitOK)
	c = runIn(t, dir, append(vars, "GITHUB_ACTOR=bob"), "gate", "--env", "production", "--at", "2026-11-27T18:30:00+01:00",
		"--override", "INC-2", "--override-gates", "window")
	c.assertExit(t, exitFailed)

	ctx := context.Background()
	l, err := ledger.Open(ctx, db, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	es, err := l.AuditLog(ctx, ledger.AuditFilter{ActionPrefix: "gate."})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s %s %s %s %q at=%v gates=%v bypassed=%v", e.Action, e.Actor, e.Release, e.Environment, e.Reason,
			e.Details["at"], e.Details["gates"], e.Details["bypassed"]))
	}
	want := []string{
		`gate.override alice v7 production "INC-1: checkout down" at=2026-11-27T18:30:00+01:00 gates=[window] bypassed=[window]`,
		`gate.open alice v7 production "INC-1: checkout down" at=2026-11-27T18:30:00+01:00 gates=<nil> bypassed=<nil>`,
		`gate.override.refused bob v7 production "INC-2" at=2026-11-27T18:30:00+01:00 gates=[window] bypassed=[]`,
		`gate.closed bob v7 production "" at=2026-11-27T18:30:00+01:00 gates=<nil> bypassed=<nil>`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit log (-want +got):\n%s", d)
	}
	if es[2].Details["refused"] == nil {
		t.Errorf("the refusal does not say why: %v", es[2].Details)
	}
}

// Staging may deploy on a Friday evening, production not.
func TestGateEnvironments(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": issuePolicy + "  environments:\n    staging:\n      windows: []\n"})
	at := []string{"--at", "2026-11-27T18:30:00+01:00", "--report", "none"}
	lockstep(t, dir, append([]string{"gate", "--env", "staging"}, at...)...).assertExit(t, exitOK)
	lockstep(t, dir, append([]string{"gate", "--env", "production"}, at...)...).assertExit(t, exitFailed)
}

// The gate's text and JSON output, golden (go test -run Golden -update).
func TestGateGolden(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": strings.Replace(issuePolicy, "  freezes:\n", `  freezes:
    - name: friday-evening
      cron: "0 16 * * fri"
      duration: 65h
`, 1)})
	cases := []struct {
		name string
		env  []string
		args []string
	}{
		{"open", nil, []string{"--at", "2026-11-26T10:30:00+01:00"}},
		{"closed", nil, []string{"--at", "2026-11-27T18:30:00+01:00"}},
		{"override", []string{"GITHUB_ACTOR=alice"}, []string{"--at", "2026-11-27T18:30:00+01:00", "--override", "INC-1: checkout down", "--override-gates", "window,freeze"}},
	}
	for _, tc := range cases {
		for _, format := range []string{"text", "json"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				args := append([]string{"gate", "--env", "production", "--report", "none", "--format", format}, tc.args...)
				c := runIn(t, dir, tc.env, args...)
				golden := filepath.Join("testdata", "gate", tc.name+"."+format+".golden")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(c.stdout), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update)", err)
				}
				if d := cmp.Diff(string(want), c.stdout); d != "" {
					t.Errorf("gate %s (-want +got):\n%s", strings.Join(args[1:], " "), d)
				}
			})
		}
	}
}

// finish_before_close: an hour's rollout at 15:30 would outlast the window
// closing at 16:00; the next opening is one with an hour to spare.
func TestGateFinishBeforeClose(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": issuePolicy + "  finish_before_close: true\n  rollout_duration: 1h\n"})
	c := lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-26T15:30:00+01:00", "--format", "json", "--report", "none")
	c.assertExit(t, exitFailed)
	if d := decodeGate(t, c); d.Open || d.NextOpen != "2026-11-30T09:00:00+01:00" {
		t.Errorf("15:30 with 1h to roll out: open=%v next_open=%q; want closed until Mon 09:00", d.Open, d.NextOpen)
	}
	c = lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-26T14:30:00+01:00", "--report", "none")
	c.assertExit(t, exitOK)
	if !strings.Contains(c.stdout, "rollout needs about 1h; the window closes Thu 2026-11-26 16:00") {
		t.Errorf("14:30: the estimate is not shown:\n%s", c.stdout)
	}
}

// gitlab_freezes: the project's freeze periods are read when the job runs,
// with the exact request; without a token CI_DEPLOY_FREEZE decides, with a
// warning.
func TestGateGitLabFreezes(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": issuePolicy + "  gitlab_freezes: true\n"})
	srv := apitest.New(t)
	srv.Expect(apitest.Call{Method: "GET", Path: "/api/v4/projects/42/freeze_periods", Query: "page=1&per_page=100",
		Reply: `[{"id":3,"freeze_start":"0 12 * * 4","freeze_end":"0 8 * * 1","cron_timezone":"Europe/Berlin"}]`})
	vars := []string{"LOCKSTEP_REPORT=none", "LOCKSTEP_GITLAB_TOKEN=" + glToken, "CI_PROJECT_ID=42", "CI_API_V4_URL=" + srv.URL() + "/api/v4"}
	c := runIn(t, dir, vars, "gate", "--env", "production", "--at", "2026-11-26T13:00:00+01:00")
	c.assertExit(t, exitFailed)
	srv.Verify()
	if !strings.Contains(c.stdout, "GitLab deploy freeze: period 3 until Mon 2026-11-30 08:00:01") {
		t.Errorf("the GitLab freeze is not named with its end:\n%s", c.stdout)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("PRIVATE-TOKEN") != glToken {
			t.Errorf("PRIVATE-TOKEN = %q", r.Header.Get("PRIVATE-TOKEN"))
		}
	}

	c = runIn(t, dir, []string{"LOCKSTEP_REPORT=none", "GITLAB_CI=true", "CI_DEPLOY_FREEZE=true"}, "gate", "--env", "production", "--at", "2026-11-26T10:30:00+01:00")
	c.assertExit(t, exitFailed)
	if !strings.Contains(c.stdout, "CI_DEPLOY_FREEZE is set") || !strings.Contains(c.stdout, "warning: GitLab freezes: no API token") {
		t.Errorf("fallback without a warning:\n%s", c.stdout)
	}
}

// finish_before_close without rollout_duration: the estimate is the deploy
// section's canary steps and their pauses (10m + 20m + 15m).
func TestGateFinishBeforeCloseFromDeploySteps(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": issuePolicy + `  finish_before_close: true
deploy:
  provider: shell
  strategy: canary
  canary:
    steps:
      - weight: 5
        pause: 10m
      - weight: 25
        pause: 20m
      - weight: 50
        pause: 15m
      - weight: 100
  shell:
    deploy: "true"
`})
	c := lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-26T15:00:00+01:00", "--report", "none")
	c.assertExit(t, exitOK)
	if !strings.Contains(c.stdout, "canary: 4 steps and their pauses: 45m") || !strings.Contains(c.stdout, "rollout needs about 45m; the window closes") {
		t.Errorf("15:00: the estimate from the deploy steps is not shown:\n%s", c.stdout)
	}
	c = lockstep(t, dir, "gate", "--env", "production", "--at", "2026-11-26T15:30:00+01:00", "--format", "json", "--report", "none")
	c.assertExit(t, exitFailed)
	var d struct {
		Open     bool   `json:"open"`
		NextOpen string `json:"next_open"`
		Checks   []struct {
			Gate     string `json:"gate"`
			Open     bool   `json:"open"`
			Estimate struct {
				Seconds float64 `json:"duration_seconds"`
			} `json:"estimate"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(c.stdout), &d); err != nil {
		t.Fatalf("%v\n%s", err, c.stdout)
	}
	var got string
	for _, ch := range d.Checks {
		if ch.Gate == "finish_before_close" {
			got = fmt.Sprintf("open=%v estimate=%vs", ch.Open, ch.Estimate.Seconds)
		}
	}
	// Friday has no window: the next one with 45 minutes to spare is Monday.
	if want := "open=false estimate=2700s"; got != want || d.Open || d.NextOpen != "2026-11-30T09:00:00+01:00" {
		t.Errorf("15:30: finish_before_close %q, open %v, next_open %q; want %q, closed, 2026-11-30T09:00:00+01:00", got, d.Open, d.NextOpen, want)
	}
}

// migration_risk per environment: staging lets a warning through,
// production nothing riskier than a hint; a contract file is above error.
func TestGateMigrationRiskPerEnvironment(t *testing.T) {
	dir := tree(t, map[string]string{
		"lockstep.yaml": `gates:
  migration_risk: warning
  environments:
    production:
      migration_risk: hint
    staging: {}
`,
		"migrations/001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
	})
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "base")
	base := strings.TrimSpace(gitIn(t, dir, "rev-parse", "HEAD"))

	// A non-concurrent index: an error of lint.
	writeTree(t, dir, map[string]string{"migrations/002_users_email.up.sql": "CREATE INDEX users_email ON users (email);\n"})
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "index")
	for _, env := range []string{"staging", "production"} {
		c := lockstep(t, dir, "gate", "--env", env, "--since", base, "--report", "none")
		c.assertExit(t, exitFailed)
		if !strings.Contains(c.stdout, "migrations/002_users_email.up.sql (") || !strings.Contains(c.stdout, "create-index-non-concurrent") {
			t.Errorf("%s: the risky file and its rule are not named:\n%s", env, c.stdout)
		}
	}

	// CONCURRENTLY, alone in its file: a warning is left (not IF NOT
	// EXISTS), which staging lets through and production (hint at most)
	// does not.
	writeTree(t, dir, map[string]string{"migrations/002_users_email.up.sql": "CREATE INDEX CONCURRENTLY users_email ON users (email);\n"})
	gitIn(t, dir, "commit", "-q", "-a", "-m", "concurrently")
	c := lockstep(t, dir, "gate", "--env", "staging", "--since", base, "--report", "none")
	c.assertExit(t, exitOK)
	if !strings.Contains(c.stdout, "risk warning, allowed up to warning") {
		t.Errorf("staging: the risk and its limit are not shown:\n%s", c.stdout)
	}
	c = lockstep(t, dir, "gate", "--env", "production", "--since", base, "--report", "none")
	c.assertExit(t, exitFailed)
	if !strings.Contains(c.stdout, "risk warning of migrations/002_users_email.up.sql is above the allowed hint") {
		t.Errorf("production: the closing file and limit are not named:\n%s", c.stdout)
	}

	// Which migrations are pending must be said: neither --since nor a
	// database is a usage error that tells how.
	c = lockstep(t, dir, "gate", "--env", "staging", "--report", "none")
	c.assertExit(t, exitUsage)
	if !strings.Contains(c.stderr, "--database") || !strings.Contains(c.stderr, "--since") {
		t.Errorf("stderr = %q; want it to name --database and --since", c.stderr)
	}
}

// finish_before_close with a database: a pending batched backfill counts at
// the speed the finished ones reached, for the rows its checkpoint has not
// done yet (pg_class.reltuples less rows_done).
func TestGateFinishBeforeCloseBackfill(t *testing.T) {
	db := pgtest.Database(t)
	ctx := context.Background()
	l, err := ledger.Open(ctx, db, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, r := range []string{"v1", "v2"} {
		if _, err := l.EnsureRelease(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`CREATE TABLE items (id bigserial PRIMARY KEY, n int)`,
		`INSERT INTO items (n) SELECT 0 FROM generate_series(1, 50000)`,
		`ANALYZE items`,
		`INSERT INTO lockstep.migrations (version, name, phase, checksum, introduced_in, applied_in, applied_at)
		 VALUES (1, 'fill_a', 'backfill', '', 'v1', 'v1', now()), (2, 'fill_b', 'backfill', '', 'v2', NULL, NULL)`,
		// v1 did 20,000 rows in 100 s: 200 rows/s measured.
		`INSERT INTO lockstep.backfills (version, key_column, rows_done, batch_size, state, started_at, finished_at)
		 VALUES (1, 'id', 20000, 1000, 'done', '2026-11-20 10:00:00+00', '2026-11-20 10:01:40+00')`,
		// v2 was stopped after 10,000 rows: 40,000 are left, 200 s at 200 rows/s.
		`INSERT INTO lockstep.backfills (version, key_column, last_key, rows_done, batch_size, state)
		 VALUES (2, 'id', '10000', 10000, 1000, 'paused')`,
	} {
		if _, err := l.Pool().Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const header = "-- lockstep:phase backfill\n-- lockstep:batch key=id size=1000\n"
	dir := tree(t, map[string]string{
		"lockstep.yaml":              issuePolicy + "  finish_before_close: true\n",
		"migrations/1_fill_a.up.sql": header + "UPDATE items SET n = 1;\n",
		"migrations/2_fill_b.up.sql": header + "UPDATE items SET n = 2;\n",
	})
	args := []string{"gate", "--env", "production", "--database", db, "--report", "none"}

	// 15:56 leaves 240 s before the window closes at 16:00: enough.
	c := lockstep(t, dir, append(args, "--at", "2026-11-26T15:56:00+01:00")...)
	c.assertExit(t, exitOK)
	if want := "backfill 2_fill_b: about 40000 rows of items at 200 rows/s (measured): 3m20s"; !strings.Contains(c.stdout, want) {
		t.Errorf("15:56: the output lacks %q:\n%s", want, c.stdout)
	}
	// 15:57 leaves 180 s: closed, and the next window with room is Monday's.
	c = lockstep(t, dir, append(args, "--at", "2026-11-26T15:57:00+01:00", "--format", "json")...)
	c.assertExit(t, exitFailed)
	var d struct {
		Open     bool   `json:"open"`
		NextOpen string `json:"next_open"`
		Checks   []struct {
			Gate     string `json:"gate"`
			Open     bool   `json:"open"`
			Estimate struct {
				Seconds float64 `json:"duration_seconds"`
			} `json:"estimate"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(c.stdout), &d); err != nil {
		t.Fatalf("%v\n%s", err, c.stdout)
	}
	var got string
	for _, ch := range d.Checks {
		if ch.Gate == "finish_before_close" {
			got = fmt.Sprintf("open=%v estimate=%vs", ch.Open, ch.Estimate.Seconds)
		}
	}
	if want := "open=false estimate=200s"; got != want || d.Open || d.NextOpen != "2026-11-30T09:00:00+01:00" {
		t.Errorf("15:57: finish_before_close %q, open %v, next_open %q; want %q, closed, 2026-11-30T09:00:00+01:00", got, d.Open, d.NextOpen, want)
	}

	// Without a finished backfill to measure, the policy's assumed rate.
	if _, err := l.Pool().Exec(ctx, `UPDATE lockstep.backfills SET state = 'paused', finished_at = NULL WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	dir2 := tree(t, map[string]string{
		"lockstep.yaml":              issuePolicy + "  finish_before_close: true\n  backfill_rows_per_second: 100\n",
		"migrations/1_fill_a.up.sql": header + "UPDATE items SET n = 1;\n",
		"migrations/2_fill_b.up.sql": header + "UPDATE items SET n = 2;\n",
	})
	c = lockstep(t, dir2, append(args, "--at", "2026-11-26T10:00:00+01:00")...)
	c.assertExit(t, exitOK)
	if want := "backfill 2_fill_b: about 40000 rows of items at 100 rows/s (assumed): 6m40s"; !strings.Contains(c.stdout, want) {
		t.Errorf("assumed rate: the output lacks %q:\n%s", want, c.stdout)
	}
}
