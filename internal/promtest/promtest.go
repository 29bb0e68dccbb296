// Package promtest runs a real Prometheus (the Debian package's binary) on a
// free loopback port for a test: with history loaded from OpenMetrics text
// through `promtool tsdb create-blocks-from openmetrics`, and/or scraping
// targets the test runs.
package promtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Options says what the server holds.
type Options struct {
	// OpenMetrics is history in the OpenMetrics text format (timestamps in
	// seconds, ending with "# EOF"), turned into TSDB blocks before start.
	OpenMetrics string
	// BlockDuration is the longest TSDB block promtool writes from
	// OpenMetrics (promtool's default is 2h). Weeks of history load and
	// query in a fraction of the time with one block, say 720h.
	BlockDuration time.Duration
	// Scrape lists host:port targets scraped every ScrapeInterval.
	Scrape         []string
	ScrapeInterval time.Duration
	// RuleFiles holds recording or alerting rule files' contents.
	RuleFiles []string
}

// Server is a running Prometheus.
type Server struct {
	URL string
}

// Start starts Prometheus for the test and stops it when the test ends. The
// test fails when the binaries are missing: `make test` installs them.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	for _, b := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Fatalf("promtest: %s not found: run `make test`, which installs Debian's prometheus package", b)
		}
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if o.OpenMetrics != "" {
		in := filepath.Join(dir, "history.om")
		if err := os.WriteFile(in, []byte(o.OpenMetrics), 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"tsdb", "create-blocks-from", "openmetrics"}
		if o.BlockDuration > 0 {
			args = append(args, "--max-block-duration="+o.BlockDuration.String())
		}
		out, err := exec.Command("promtool", append(args, in, data)...).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool: %v: %s", err, out)
		}
	}
	interval := o.ScrapeInterval
	if interval == 0 {
		interval = time.Second
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", interval, interval)
	if len(o.RuleFiles) > 0 {
		cfg.WriteString("rule_files:\n")
		for i, r := range o.RuleFiles {
			p := filepath.Join(dir, fmt.Sprintf("rules%d.yml", i))
			if err := os.WriteFile(p, []byte(r), 0o644); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&cfg, "  - %s\n", p)
		}
	}
	if len(o.Scrape) > 0 {
		cfg.WriteString("scrape_configs:\n  - job_name: test\n    static_configs:\n      - targets:\n")
		for _, target := range o.Scrape {
			fmt.Fprintf(&cfg, "          - %q\n", target)
		}
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("prometheus",
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+data,
		"--storage.tsdb.retention.time=100y",
		"--web.listen-address="+addr,
		"--query.lookback-delta=5m",
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		log.Close()
	})
	s := &Server{URL: "http://" + addr}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/-/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-ctx.Done():
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("promtest: prometheus did not become ready: %s", b)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
