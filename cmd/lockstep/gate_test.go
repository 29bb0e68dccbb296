package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
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
