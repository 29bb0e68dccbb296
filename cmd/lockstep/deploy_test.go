package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/internal/demoapp"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/internal/promtest"
	"github.com/lockstep-dev/lockstep/ledger"
)

// The configuration of the issue, word for word but for Prometheus' port.
const issueConfig = `deploy:
  provider: shell
  strategy: canary
  shell:
    deploy: ./scripts/deploy.sh
    set_weight: ./scripts/weight.sh
    promote: ./scripts/promote.sh
    rollback: ./scripts/rollback.sh
  canary:
    steps:
      - weight: 20
        pause: 1s
      - weight: 50
        pause: 1s
      - weight: 100
  analysis:
    prometheus: http://127.0.0.1:9090
    interval: 1s
    failure_limit: 1
    metrics:
      - name: error-rate
        query: sum(rate(http_requests_total{version="{{.Release}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{version="{{.Release}}"}[1m]))
        max: 0.01
`

// The scripts keep the rollout's state in files: the router below reads
// them, as a real load balancer would be told by such scripts.
var scripts = map[string]string{
	"scripts/deploy.sh":   "#!/bin/sh\necho \"$LOCKSTEP_RELEASE\" > candidate\n",
	"scripts/weight.sh":   "#!/bin/sh\necho \"$LOCKSTEP_WEIGHT\" > weight\necho \"step $LOCKSTEP_STEP: $LOCKSTEP_WEIGHT% to $LOCKSTEP_RELEASE (stable $LOCKSTEP_STABLE)\" >> log\n",
	"scripts/promote.sh":  "#!/bin/sh\necho 0 > weight\necho \"$LOCKSTEP_RELEASE\" > stable\necho promoted >> log\n",
	"scripts/rollback.sh": "#!/bin/sh\necho 0 > weight\necho rolled back >> log\n",
}

// router sends each request to the stable or the candidate backend, by the
// weight the scripts wrote (an exact split: every 100 requests).
type router struct {
	dir      string
	backends map[string]string // version → address
	n        atomic.Int64
}

func (r *router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(r.dir, name))
		return strings.TrimSpace(string(b))
	}
	weight, _ := strconv.Atoi(read("weight"))
	target := read("stable")
	if int(r.n.Add(1)%100) < weight {
		target = read("candidate")
	}
	resp, err := http.Get("http://" + r.backends[target] + req.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	resp.Body.Close()
	w.Header().Set("X-Version", resp.Header.Get("X-Version"))
	w.WriteHeader(resp.StatusCode)
}

func serve(t *testing.T, h http.Handler) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func TestDeployIssueConfigWorksAsWritten(t *testing.T) {
	dir := tree(t, scripts)
	for name := range scripts {
		os.Chmod(filepath.Join(dir, name), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "stable"), []byte("v1\n"), 0o644)
	apps := map[string]*demoapp.App{
		"v1": demoapp.New(demoapp.Options{Version: "v1"}),
		"v2": demoapp.New(demoapp.Options{Version: "v2"}),
		"v3": demoapp.New(demoapp.Options{Version: "v3", FailRate: 0.4}),
	}
	rt := &router{dir: dir, backends: map[string]string{}}
	var targets []string
	for v, a := range apps {
		rt.backends[v] = serve(t, a.Handler())
		targets = append(targets, rt.backends[v])
	}
	prom := promtest.Start(t, promtest.Options{Scrape: targets, ScrapeInterval: 500 * time.Millisecond})
	writeTree(t, dir, map[string]string{"lockstep.yaml": strings.Replace(issueConfig, "http://127.0.0.1:9090", prom.URL, 1)})
	load := demoapp.StartLoad(context.Background(), demoapp.LoadOptions{URL: "http://" + serve(t, rt) + "/", Rate: 200, Duration: 60 * time.Second})
	defer load.Stop()
	waitForScrapes(t, prom.URL, len(targets))

	db := pgtest.Database(t)
	ctx := context.Background()
	// The same clock as runIn's env: the ledger's timestamps order releases.
	l, err := ledger.Open(ctx, db, ledger.Options{Now: func() time.Time { return time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.SetReleaseState(ctx, "v1", ledger.Deployed, "test"); err != nil {
		t.Fatal(err)
	}
	vars := []string{"LOCKSTEP_DATABASE_URL=" + db, "GITHUB_ACTOR=octocat"}

	// A healthy candidate: promoted through every step, recorded deployed.
	c := runIn(t, dir, vars, "deploy", "--release", "v2", "--report", "none")
	if c.code != 0 {
		t.Fatalf("deploy v2: exit %d\n%s\n%s", c.code, c.stdout, c.stderr)
	}
	for _, want := range []string{"canary of v2 (stable v1) to production via shell, 3 steps", "step 1/3: weight 20%", "step 3/3: weight 100%", "error-rate     successful   0 <= max 0.01", "promoted v2"} {
		if !strings.Contains(c.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, c.stdout)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	if want := "step 1: 20% to v2 (stable v1)\nstep 2: 50% to v2 (stable v1)\nstep 3: 100% to v2 (stable v1)\npromoted\n"; string(log) != want {
		t.Errorf("scripts saw:\n%s\nwant:\n%s", log, want)
	}
	if rel, _ := l.Release(ctx, "v2"); rel.State != ledger.Deployed {
		t.Errorf("v2 is %s; want deployed", rel.State)
	}

	// A failing one: rolled back, exit 1 with the metric and the figures.
	os.Remove(filepath.Join(dir, "log"))
	repDir := t.TempDir()
	c = runIn(t, dir, vars, "deploy", "--release", "v3", "--report", "local", "--report-dir", repDir)
	if c.code != 1 {
		t.Fatalf("deploy v3: exit %d; want 1\n%s\n%s", c.code, c.stdout, c.stderr)
	}
	// Reported: the sticky "rollout" section with the figures, the status
	// and the deployment's statuses.
	sticky, _ := os.ReadFile(filepath.Join(repDir, "sticky-comment.md"))
	if s := string(sticky); !strings.Contains(s, "<!-- lockstep:section=rollout -->") || !strings.Contains(s, "v3 rolled back to v2 at step 1: error-rate ") || !strings.Contains(s, "| 1 | weight 20% | error-rate | ❌ failed |") {
		t.Errorf("sticky comment:\n%s", s)
	}
	deps, _ := os.ReadFile(filepath.Join(repDir, "deployments.md"))
	if s := string(deps); !strings.Contains(s, "**in_progress** rolling out") || !strings.Contains(s, "**failure** v3 rolled back to v2") {
		t.Errorf("deployment statuses:\n%s", s)
	}
	if i := strings.Index(c.stderr, "lockstep: rolled back"); i > 0 { // after "report written to"
		c.stderr = c.stderr[i:]
	}
	if !strings.Contains(c.stdout, "canary of v3 (stable v2)") {
		t.Errorf("stable is not the last deployed release:\n%s", c.stdout)
	}
	if !strings.HasPrefix(c.stderr, "lockstep: rolled back v3 to v2: error-rate: 2 failed measurements > failure_limit 1; last: ") || !strings.Contains(c.stderr, "> max 0.01") {
		t.Errorf("stderr = %q", c.stderr)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "log")); !strings.HasSuffix(string(log), "rolled back\n") || strings.Contains(string(log), "50%") {
		t.Errorf("scripts saw:\n%s\nwant 20%% then a rollback", log)
	}
	if rel, _ := l.Release(ctx, "v3"); rel.State != ledger.RolledBack {
		t.Errorf("v3 is %s; want rolled-back", rel.State)
	}
	ro, _, _ := l.LastRollout(ctx, "v3", "production")
	if ro.State != ledger.RolloutRolledBack || ro.Details["metric"] != "error-rate" {
		t.Errorf("rollout %s %v", ro.State, ro.Details)
	}

	// --skip-gate is audited; v2 is already deployed, nothing moves.
	c = runIn(t, dir, vars, "deploy", "--release", "v2", "--report", "none", "--skip-gate", "INC-1: hotfix")
	if c.code != 0 || !strings.Contains(c.stdout, "v2 is already deployed") {
		t.Errorf("re-deploy v2: exit %d\n%s%s", c.code, c.stdout, c.stderr)
	}
	es, _ := l.AuditLog(ctx, ledger.AuditFilter{ActionPrefix: "gate.skipped"})
	if len(es) != 1 || es[0].Reason != "INC-1: hotfix" || es[0].Actor != "octocat" {
		t.Errorf("audit %+v", es)
	}
}

func waitForScrapes(t *testing.T, url string, n int) {
	t.Helper()
	m, _ := deployer.NewPrometheus(url, nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := m.Query(context.Background(), `count(count_over_time(up[1m]) >= 2)`, time.Now())
		if err == nil && len(v) == 1 && int(v[0]) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus has not scraped %d targets: %v %v", n, v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDeployConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml, want string
		code             int
	}{
		{"unknown key", "deploy:\n  provider: shell\n  canary:\n    stepz: []\n", `lockstep.yaml:4:5: deploy.canary.stepz: unknown key (did you mean "steps"?)`, 2},
		{"bad provider", "deploy:\n  provider: ftp\n", "lockstep.yaml:2:", 2},
		{"bad template", "deploy:\n  provider: shell\n  canary:\n    steps: [{weight: 10}]\n  analysis:\n    prometheus: http://127.0.0.1:1\n    metrics:\n      - name: e\n        query: 'x{v=\"{{.Relase}}\"}'\n        max: 1\n", "lockstep.yaml: deploy.analysis.metrics[0].query:", 2},
		{"no rollback command", "deploy:\n  provider: shell\n  canary:\n    steps: [{weight: 10}]\n  shell:\n    set_weight: 'true'\n", "deploy.strategy: canary: not supported by this provider: deploy.shell.rollback is not set", 2},
		{"prometheus down", "deploy:\n  provider: shell\n  canary:\n    steps: [{weight: 10}]\n  shell: {set_weight: 'true', rollback: 'true'}\n  analysis:\n    prometheus: http://127.0.0.1:1\n    metrics: [{name: e, query: up, max: 1}]\n", "prometheus http://127.0.0.1:1 unreachable", 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tree(t, map[string]string{"lockstep.yaml": c.yaml})
			r := lockstep(t, dir, "deploy", "--release", "v2", "--report", "none")
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, c.code, c.want)
			}
		})
	}
}

func TestDeployChecksTheGateFirst(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": `gates:
  timezone: UTC
  freezes:
    - name: spring-freeze
      from: "2025-03-01"
      to: "2025-03-10"
deploy:
  provider: shell
  canary:
    steps: [{weight: 50}]
  shell:
    deploy: echo deploy >> log
    set_weight: echo weight >> log
    rollback: echo rollback >> log
`})
	c := lockstep(t, dir, "deploy", "--release", "v2", "--report", "none")
	if c.code != 1 || !strings.Contains(c.stderr, "lockstep: gate closed: v2 not deployed to production (--skip-gate \"reason\" deploys anyway, audited)") {
		t.Errorf("exit %d, stderr %q; want 1, gate closed", c.code, c.stderr)
	}
	if !strings.Contains(c.stdout, "spring-freeze") {
		t.Errorf("the gate's decision is not shown:\n%s", c.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); err == nil {
		t.Error("a provider command ran although the gate is closed")
	}
	// Skipped with a reason: the rollout runs (unrecorded: no database).
	c = lockstep(t, dir, "deploy", "--release", "v2", "--report", "none", "--skip-gate", "INC-7")
	if c.code != 0 {
		t.Fatalf("exit %d\n%s%s", c.code, c.stdout, c.stderr)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "log")); string(log) != "deploy\nweight\n" {
		t.Errorf("commands ran: %q", log)
	}
	if !strings.Contains(c.stderr, "--skip-gate is not audited: no database") {
		t.Errorf("stderr %q", c.stderr)
	}
}

func TestDeployInterruptedThenResumed(t *testing.T) {
	dir := tree(t, map[string]string{"lockstep.yaml": `deploy:
  provider: shell
  canary:
    steps: [{weight: 20, pause: 1s}, {weight: 50, pause: 3s}, {weight: 100}]
  shell:
    set_weight: echo "weight $LOCKSTEP_WEIGHT" >> log
    rollback: echo "rollback to $LOCKSTEP_STABLE" >> log
    promote: echo promote >> log
`})
	db := pgtest.Database(t)
	vars := map[string]string{"LOCKSTEP_DATABASE_URL": db}
	runCtx := func(ctx context.Context, args ...string) cli {
		var stdout, stderr strings.Builder
		e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }, workdir: dir}
		code := run(ctx, args, e)
		return cli{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // SIGTERM while step 2 pauses
		for {
			if b, _ := os.ReadFile(filepath.Join(dir, "log")); strings.Contains(string(b), "weight 50") {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	c := runCtx(ctx, "deploy", "--release", "v2", "--stable", "v1", "--report", "none")
	if c.code != 1 || !strings.Contains(c.stderr, "rollout of v2 interrupted at step 2, traffic back on v1; re-run to resume") {
		t.Fatalf("exit %d, stderr %q\n%s", c.code, c.stderr, c.stdout)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "log")); string(log) != "weight 20\nweight 50\nrollback to v1\n" {
		t.Errorf("commands: %q; want traffic back on v1 before exiting", log)
	}
	os.Remove(filepath.Join(dir, "log"))
	c = runCtx(context.Background(), "deploy", "--release", "v2", "--stable", "v1", "--report", "none")
	if c.code != 0 {
		t.Fatalf("re-run: exit %d\n%s%s", c.code, c.stdout, c.stderr)
	}
	// The weight recorded is 50%, or 20% when the cancellation reached
	// set_weight before it returned (the last weight known to be set).
	if !strings.Contains(c.stdout, "was interrupted at step 2 (") || !strings.Contains(c.stdout, "Resuming at step 2 (--restart starts from step 1)") {
		t.Errorf("the re-run does not say what it does:\n%s", c.stdout)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "log")); !strings.HasPrefix(string(log), "weight 50\n") {
		t.Errorf("re-run commands: %q; want a resume at 50%%", log)
	}
}
