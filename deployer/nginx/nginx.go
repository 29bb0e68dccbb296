// Package nginx is the deployer.Provider for services behind nginx:
// lockstep writes the upstream configuration (stable and candidate
// backends with weights, the blue/green switch, instance-by-instance
// replacement for rolling, a mirror for shadow traffic, a header or cookie
// route) into files the nginx configuration includes, checks it with
// `nginx -t`, and reloads nginx gracefully (`nginx -s reload`: workers
// finish the requests they hold). Candidate backends are health-checked
// before they get any traffic. lockstep does not start or stop the
// backends themselves.
//
// The files: upstream_file (http context) defines the groups NAME,
// NAME_stable and NAME_candidate and the variables $NAME_upstream (the
// group a request goes to, honouring the route) and $NAME_mirror;
// location_file (server context, optional) holds `location /` proxying to
// $NAME_upstream, the internal mirror location and
// /_lockstep/generation, which verify_url polls so a change is known to be
// in effect before lockstep goes on.
package nginx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Config is the deploy.nginx section.
type Config struct {
	// Binary is the nginx executable (default nginx).
	Binary string `yaml:"binary"`
	// Prefix and Conf are passed as -p and -c to `nginx -t` and
	// `nginx -s reload`.
	Prefix string `yaml:"prefix"`
	Conf   string `yaml:"conf"`
	// Upstream names the upstream group (default app).
	Upstream string `yaml:"upstream"`
	// UpstreamFile is written in http context; LocationFile (optional) in
	// server context.
	UpstreamFile string `yaml:"upstream_file"`
	LocationFile string `yaml:"location_file"`
	// Stable and Candidate are the backends (host:port) of each release.
	// Rolling replaces Stable[i] with Candidate[i] batch by batch.
	Stable    []string `yaml:"stable"`
	Candidate []string `yaml:"candidate"`
	// Keepalive is the idle upstream connections per worker (default 16).
	Keepalive int `yaml:"keepalive"`
	// HealthPath is requested on each candidate backend before it gets
	// traffic; any 2xx is healthy (default /healthz).
	HealthPath    string        `yaml:"health_path"`
	HealthTimeout time.Duration `yaml:"health_timeout"`
	// VerifyURL is nginx's own URL of /_lockstep/generation (needs
	// location_file); after a reload lockstep waits until it answers with
	// the new generation.
	VerifyURL string `yaml:"verify_url"`
	// PidFile is nginx's pid file (its `pid` directive). When it is set
	// and /proc is there, lockstep also waits after a reload until every
	// worker of the old configuration has stopped accepting connections
	// (nginx retitles it "worker process is shutting down" as it closes
	// its listening sockets), so the weight just set is the only one new
	// requests meet.
	PidFile string `yaml:"pid_file"`
}

// Options are the provider's dependencies.
type Options struct {
	// Client checks backends' health and verify_url (default: 2s timeout).
	Client *http.Client
	Logger *slog.Logger
}

// Nginx writes nginx configuration and reloads nginx.
type Nginx struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	mu     sync.Mutex
	// The traffic state the files describe.
	weight int
	mirror int
	match  deployer.Match
	// applied is the state nginx last accepted.
	applied struct {
		weight, mirror int
		match          deployer.Match
	}
	gen atomic.Int64
	// tested holds the configurations nginx -t accepted.
	tested map[[32]byte]bool
}

var (
	_ deployer.Provider = (*Nginx)(nil)
	_ deployer.Checker  = (*Nginx)(nil)
	_ deployer.Mirrorer = (*Nginx)(nil)
	_ deployer.Router   = (*Nginx)(nil)
	_ deployer.Sizer    = (*Nginx)(nil)
)

// New checks the settings; errors are fault.Usage naming them.
func New(cfg Config, o Options) (*Nginx, error) {
	if cfg.Binary == "" {
		cfg.Binary = "nginx"
	}
	if cfg.Upstream == "" {
		cfg.Upstream = "app"
	}
	if cfg.Keepalive == 0 {
		cfg.Keepalive = 16
	}
	if cfg.HealthPath == "" {
		cfg.HealthPath = "/healthz"
	}
	if cfg.HealthTimeout == 0 {
		cfg.HealthTimeout = 2 * time.Second
	}
	if cfg.UpstreamFile == "" {
		return nil, fault.Errorf(fault.Usage, "deploy.nginx.upstream_file: missing")
	}
	if len(cfg.Stable) == 0 || len(cfg.Candidate) == 0 {
		return nil, fault.Errorf(fault.Usage, "deploy.nginx: stable and candidate need at least one backend each")
	}
	for _, list := range [][]string{cfg.Stable, cfg.Candidate} {
		for _, b := range list {
			if strings.ContainsAny(b, " ;{}\"'\n") || b == "" {
				return nil, fault.Errorf(fault.Usage, "deploy.nginx: backend %q is not host:port", b)
			}
		}
	}
	if cfg.VerifyURL != "" && cfg.LocationFile == "" {
		return nil, fault.Errorf(fault.Usage, "deploy.nginx.verify_url: needs location_file, which serves /_lockstep/generation")
	}
	n := &Nginx{cfg: cfg, client: o.Client, log: o.Logger, tested: map[[32]byte]bool{}}
	if n.client == nil {
		n.client = &http.Client{Timeout: cfg.HealthTimeout}
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.gen.Store(time.Now().UnixNano())
	return n, nil
}

// Check: rolling needs as many candidate backends as stable ones.
func (n *Nginx) Check(s deployer.Strategy) error {
	if s == deployer.Rolling && len(n.cfg.Stable) != len(n.cfg.Candidate) {
		return fmt.Errorf("%w: rolling replaces stable[i] with candidate[i]: deploy.nginx has %d stable and %d candidate backends", deployer.ErrUnsupported, len(n.cfg.Stable), len(n.cfg.Candidate))
	}
	return nil
}

// Instances is the number of backends a rolling update replaces.
func (n *Nginx) Instances(ctx context.Context, t deployer.Target) (int, error) {
	return len(n.cfg.Stable), nil
}

// Deploy waits for nothing: the candidate backends are started by the
// team's process manager. It writes the configuration with all traffic on
// stable (keeping a mirror or route already set) and reloads, so a re-run
// starts from a known state.
func (n *Nginx) Deploy(ctx context.Context, t deployer.Target) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.weight = 0
	return n.apply(ctx, t)
}

// SetWeight health-checks the candidate backends that will get traffic,
// then writes and reloads.
func (n *Nginx) SetWeight(ctx context.Context, t deployer.Target, weight int) error {
	if weight < 0 || weight > 100 {
		return fmt.Errorf("weight %d is not a percentage", weight)
	}
	if weight > 0 {
		if err := n.checkBackends(ctx, n.candidatesFor(t, weight)); err != nil {
			return err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.weight = weight
	return n.apply(ctx, t)
}

// Promote sends all traffic to the candidate and stops mirroring and
// routing.
func (n *Nginx) Promote(ctx context.Context, t deployer.Target) error {
	if err := n.checkBackends(ctx, n.cfg.Candidate); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.weight, n.mirror, n.match = 100, 0, deployer.Match{}
	return n.apply(ctx, t)
}

// Rollback sends all traffic to stable and stops mirroring and routing.
func (n *Nginx) Rollback(ctx context.Context, t deployer.Target) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.weight, n.mirror, n.match = 0, 0, deployer.Match{}
	return n.apply(ctx, t)
}

// Health requests health_path on every candidate backend.
func (n *Nginx) Health(ctx context.Context, t deployer.Target) error {
	return n.checkBackends(ctx, n.cfg.Candidate)
}

// Mirror copies percent of requests to the candidate group.
func (n *Nginx) Mirror(ctx context.Context, t deployer.Target, percent int) error {
	if n.cfg.LocationFile == "" {
		return fmt.Errorf("%w: mirroring needs deploy.nginx.location_file", deployer.ErrUnsupported)
	}
	if percent > 0 {
		if err := n.checkBackends(ctx, n.cfg.Candidate); err != nil {
			return err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mirror = percent
	return n.apply(ctx, t)
}

// Route sends requests matching m to the candidate group.
func (n *Nginx) Route(ctx context.Context, t deployer.Target, m deployer.Match) error {
	if !m.IsZero() {
		if err := n.checkBackends(ctx, n.cfg.Candidate); err != nil {
			return err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.match = m
	return n.apply(ctx, t)
}

// Write writes the files with all traffic on stable, without testing or
// reloading: for nginx's first start.
func (n *Nginx) Write() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	up, loc := n.render(deployer.Target{}, n.gen.Add(1))
	if err := writeAtomic(n.cfg.UpstreamFile, up); err != nil {
		return err
	}
	if n.cfg.LocationFile != "" {
		return writeAtomic(n.cfg.LocationFile, loc)
	}
	return nil
}

func (n *Nginx) candidatesFor(t deployer.Target, weight int) []string {
	if t.Strategy == deployer.Rolling {
		return n.cfg.Candidate[:deployer.InstancesFor(weight, len(n.cfg.Candidate))]
	}
	return n.cfg.Candidate
}

func (n *Nginx) checkBackends(ctx context.Context, backends []string) error {
	for _, b := range backends {
		ctx, cancel := context.WithTimeout(ctx, n.cfg.HealthTimeout)
		req, err := http.NewRequestWithContext(ctx, "GET", "http://"+b+n.cfg.HealthPath, nil)
		if err != nil {
			cancel()
			return fault.Errorf(fault.Usage, "deploy.nginx: backend %s: %v", b, err)
		}
		resp, err := n.client.Do(req)
		cancel()
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, context.Canceled) {
				return context.Canceled
			}
			return fmt.Errorf("%w: backend %s: %v", deployer.ErrUnhealthy, b, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%w: backend %s%s answered %s", deployer.ErrUnhealthy, b, n.cfg.HealthPath, resp.Status)
		}
	}
	return nil
}

// apply writes the files for the current state, tests the configuration
// (restoring the old files when the test fails), reloads and waits for the
// new generation. n.mu is held.
func (n *Nginx) apply(ctx context.Context, t deployer.Target) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := n.write(ctx, t)
	if err != nil {
		// The files describe the last state that worked; so must memory.
		n.weight, n.mirror, n.match = n.applied.weight, n.applied.mirror, n.applied.match
		return err
	}
	n.applied.weight, n.applied.mirror, n.applied.match = n.weight, n.mirror, n.match
	return nil
}

func (n *Nginx) write(ctx context.Context, t deployer.Target) error {
	gen := n.gen.Add(1)
	up, loc := n.render(t, gen)
	oldUp, errUp := os.ReadFile(n.cfg.UpstreamFile)
	var oldLoc []byte
	var errLoc error
	if n.cfg.LocationFile != "" {
		oldLoc, errLoc = os.ReadFile(n.cfg.LocationFile)
	}
	restore := func() {
		if errUp == nil {
			writeAtomic(n.cfg.UpstreamFile, oldUp)
		}
		if n.cfg.LocationFile != "" && errLoc == nil {
			writeAtomic(n.cfg.LocationFile, oldLoc)
		}
	}
	if err := writeAtomic(n.cfg.UpstreamFile, up); err != nil {
		return err
	}
	if n.cfg.LocationFile != "" {
		if err := writeAtomic(n.cfg.LocationFile, loc); err != nil {
			restore()
			return err
		}
	}
	// A configuration nginx -t accepted before (the same files but for the
	// generation number, e.g. all traffic on stable when rolling back) is
	// not tested again: a rollback is one reload.
	u0, l0 := n.render(t, 0)
	key := sha256.Sum256(append(u0, l0...))
	if !n.tested[key] {
		if out, err := n.nginx(ctx, "-t"); err != nil {
			restore()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("nginx -t rejected the configuration lockstep wrote (the previous files are restored): %s", lastLine(out, err))
		}
		n.tested[key] = true
	}
	var old []worker
	if n.cfg.PidFile != "" {
		old = workers(n.cfg.PidFile)
	}
	if out, err := n.nginx(ctx, "-s", "reload"); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fault.Errorf(fault.Unavailable, "nginx -s reload: %s", lastLine(out, err))
	}
	n.log.Debug("nginx reloaded", "release", t.Release, "weight", n.weight, "generation", gen)
	if n.cfg.VerifyURL != "" {
		if err := n.verify(ctx, gen); err != nil {
			return err
		}
	}
	return waitRetired(ctx, old, 10*time.Second)
}

func (n *Nginx) nginx(ctx context.Context, args ...string) ([]byte, error) {
	var base []string
	if n.cfg.Prefix != "" {
		base = append(base, "-p", n.cfg.Prefix)
	}
	if n.cfg.Conf != "" {
		base = append(base, "-c", n.cfg.Conf)
	}
	cmd := exec.CommandContext(ctx, n.cfg.Binary, append(base, args...)...)
	return cmd.CombinedOutput()
}

// verify polls verify_url until nginx serves generation gen: the workers
// with the new configuration are the ones accepting requests. Each poll
// opens a new connection, since a kept-alive one stays with the worker
// that accepted it.
func (n *Nginx) verify(ctx context.Context, gen int64) error {
	want := strconv.FormatInt(gen, 10)
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", n.cfg.VerifyURL, nil)
		if err != nil {
			return fault.Errorf(fault.Usage, "deploy.nginx.verify_url: %v", err)
		}
		req.Close = true
		resp, err := n.client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = strings.TrimSpace(string(b))
			if last == want {
				return nil
			}
		} else {
			last = err.Error()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fault.Errorf(fault.Unavailable, "nginx did not serve the new configuration within 10s (verify_url answers %q, want %s)", last, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// render returns the upstream and location files for the current state.
func (n *Nginx) render(t deployer.Target, gen int64) (upstream, location []byte) {
	c := n.cfg
	name := c.Upstream
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by lockstep deploy; changes are overwritten.\n# release %q, stable %q, strategy %s, weight %d, mirror %d%%, generation %d\n",
		t.Release, t.Stable, t.Strategy, n.weight, n.mirror, gen)
	group := func(name string, servers []string) {
		fmt.Fprintf(&b, "upstream %s {\n", name)
		for _, s := range servers {
			fmt.Fprintf(&b, "    %s\n", s)
		}
		if c.Keepalive > 0 {
			fmt.Fprintf(&b, "    keepalive %d;\n", c.Keepalive)
		}
		b.WriteString("}\n")
	}
	plain := func(list []string) []string {
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = "server " + s + ";"
		}
		return out
	}
	group(name+"_stable", plain(c.Stable))
	group(name+"_candidate", plain(c.Candidate))
	var main []string
	switch {
	case n.weight <= 0:
		main = plain(c.Stable)
	case n.weight >= 100:
		main = plain(c.Candidate)
	case t.Strategy == deployer.Rolling:
		k := deployer.InstancesFor(n.weight, len(c.Candidate))
		main = append(plain(c.Candidate[:k]), plain(c.Stable[k:])...)
	default:
		// Each stable server gets (100-w)*len(candidate), each candidate
		// server w*len(stable): the groups' totals are in ratio (100-w):w.
		ws := (100 - n.weight) * len(c.Candidate)
		wc := n.weight * len(c.Stable)
		g := gcd(ws, wc)
		for _, s := range c.Stable {
			main = append(main, fmt.Sprintf("server %s weight=%d;", s, ws/g))
		}
		for _, s := range c.Candidate {
			main = append(main, fmt.Sprintf("server %s weight=%d;", s, wc/g))
		}
	}
	group(name, main)
	switch {
	case n.match.Header != "":
		v := "$http_" + strings.ToLower(strings.ReplaceAll(n.match.Header, "-", "_"))
		fmt.Fprintf(&b, "map %s $%s_upstream {\n    default %s;\n    %s %s_candidate;\n}\n", v, name, name, quote(n.match.Value), name)
	case n.match.Cookie != "":
		fmt.Fprintf(&b, "map $cookie_%s $%s_upstream {\n    default %s;\n    %s %s_candidate;\n}\n", n.match.Cookie, name, name, quote(n.match.Value), name)
	default:
		fmt.Fprintf(&b, "map $request_method $%s_upstream {\n    default %s;\n}\n", name, name)
	}
	if n.mirror > 0 && n.mirror < 100 {
		fmt.Fprintf(&b, "split_clients \"${request_id}\" $%s_mirror {\n    %d%% \"1\";\n    * \"\";\n}\n", name, n.mirror)
	} else {
		v := ""
		if n.mirror >= 100 {
			v = "1"
		}
		fmt.Fprintf(&b, "map $request_method $%s_mirror {\n    default %q;\n}\n", name, v)
	}
	upstream = b.Bytes()
	var l bytes.Buffer
	fmt.Fprintf(&l, "# Written by lockstep deploy; changes are overwritten. Generation %d.\n", gen)
	proxy := "    proxy_http_version 1.1;\n    proxy_set_header Connection \"\";\n    proxy_set_header Host $host;\n"
	l.WriteString("location / {\n")
	if n.mirror > 0 {
		l.WriteString("    mirror /_lockstep_mirror;\n")
	}
	fmt.Fprintf(&l, "    proxy_pass http://$%s_upstream;\n%s    proxy_next_upstream error timeout http_502 http_503;\n}\n", name, proxy)
	fmt.Fprintf(&l, "location = /_lockstep_mirror {\n    internal;\n    if ($%s_mirror = \"\") {\n        return 204;\n    }\n    proxy_pass http://%s_candidate$request_uri;\n%s    proxy_connect_timeout 1s;\n    proxy_read_timeout 5s;\n}\n", name, name, proxy)
	fmt.Fprintf(&l, "location = /_lockstep/generation {\n    default_type text/plain;\n    return 200 \"%d\\n\";\n}\n", gen)
	return upstream, l.Bytes()
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`).Replace(s) + `"`
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lockstep-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	os.Chmod(tmp.Name(), 0o644)
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func lastLine(out []byte, err error) string {
	s := strings.TrimSpace(string(out))
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.Contains(l, "test failed") {
			return l
		}
	}
	return err.Error()
}
