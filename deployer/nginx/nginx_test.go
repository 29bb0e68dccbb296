package nginx_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/deployer/nginx"
	"github.com/lockstep-dev/lockstep/deployer/providertest"
	"github.com/lockstep-dev/lockstep/internal/demoapp"
	"github.com/lockstep-dev/lockstep/internal/nginxtest"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend is one demo service instance on a loopback port.
type backend struct {
	App    *demoapp.App
	Addr   string
	served atomic.Int64
}

func startBackend(t testing.TB, o demoapp.Options) *backend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{App: demoapp.New(o), Addr: l.Addr().String()}
	h := b.App.Handler()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			b.served.Add(1)
		}
		h.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return b
}

func addrs(bs []*backend) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Addr)
	}
	return out
}

// site is nginx in front of stable and candidate backends, with the
// provider that drives it.
type site struct {
	nginx     *nginxtest.Server
	provider  *nginx.Nginx
	stable    []*backend
	candidate []*backend
	cfg       nginx.Config
}

// newProvider is a provider for the site's nginx with other backends.
func newProvider(s *site, stable []*backend, cand *backend) (*nginx.Nginx, error) {
	cfg := s.cfg
	cfg.Stable, cfg.Candidate = addrs(stable), addrs([]*backend{cand})
	return nginx.New(cfg, nginx.Options{})
}

func newSite(t testing.TB, stable, candidate []*backend, workers int) *site {
	t.Helper()
	dir := nginxtest.Dir(t)
	cfg := nginx.Config{
		UpstreamFile: filepath.Join(dir, "upstream.conf"),
		LocationFile: filepath.Join(dir, "location.conf"),
		Stable:       addrs(stable),
		Candidate:    addrs(candidate),
	}
	p, err := nginx.New(cfg, nginx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	srv := nginxtest.Start(t, nginxtest.Options{
		HTTP:    "include " + cfg.UpstreamFile + ";",
		Server:  "include " + cfg.LocationFile + ";",
		Workers: workers,
	})
	cfg.Binary, cfg.Prefix, cfg.Conf = srv.Binary, srv.Prefix, srv.Conf
	cfg.VerifyURL = srv.URL + "/_lockstep/generation"
	cfg.PidFile = filepath.Join(srv.Prefix, "nginx.pid")
	if p, err = nginx.New(cfg, nginx.Options{}); err != nil {
		t.Fatal(err)
	}
	return &site{nginx: srv, provider: p, stable: stable, candidate: candidate, cfg: cfg}
}

// share sends n requests through nginx and returns the percentage answered
// by version.
func (s *site) share(t *testing.T, version string, n int) int {
	got := 0
	for i := 0; i < n; i++ {
		v, _ := s.nginx.Get(t, "/", nil)
		if v == version {
			got++
		}
	}
	return got * 100 / n
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Fixture {
		cand := startBackend(t, demoapp.Options{Version: "v2"})
		s := newSite(t, []*backend{startBackend(t, demoapp.Options{Version: "v1"})}, []*backend{cand}, 1)
		return providertest.Fixture{
			Provider:  s.provider,
			Weight:    func(t *testing.T) int { return s.share(t, "v2", 50) },
			Tolerance: 2,
			Mirrored: func(t *testing.T) bool {
				before := cand.served.Load()
				for i := 0; i < 10; i++ {
					s.nginx.Get(t, "/", nil)
				}
				deadline := time.Now().Add(time.Second)
				for time.Now().Before(deadline) {
					if cand.served.Load() > before {
						return true
					}
					time.Sleep(10 * time.Millisecond)
				}
				return false
			},
		}
	})
}

func TestRouteByHeaderAndCookie(t *testing.T) {
	s := newSite(t, []*backend{startBackend(t, demoapp.Options{Version: "v1"})}, []*backend{startBackend(t, demoapp.Options{Version: "v2"})}, 1)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	if err := s.provider.Route(ctx, tg, deployer.Match{Header: "X-Canary", Value: "always"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.nginx.Get(t, "/", http.Header{"X-Canary": {"always"}}); v != "v2" {
		t.Errorf("with X-Canary: always answered by %q; want v2", v)
	}
	if v, _ := s.nginx.Get(t, "/", http.Header{"X-Canary": {"no"}}); v != "v1" {
		t.Errorf("with X-Canary: no answered by %q; want v1", v)
	}
	if err := s.provider.Route(ctx, tg, deployer.Match{Cookie: "beta", Value: "1"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.nginx.Get(t, "/", http.Header{"Cookie": {"beta=1"}}); v != "v2" {
		t.Errorf("with cookie beta=1 answered by %q; want v2", v)
	}
	if err := s.provider.Rollback(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.nginx.Get(t, "/", http.Header{"Cookie": {"beta=1"}}); v != "v1" {
		t.Errorf("after Rollback cookie beta=1 answered by %q; want v1", v)
	}
}

func TestUnhealthyCandidateGetsNoTraffic(t *testing.T) {
	dead := &backend{Addr: "127.0.0.1:1"}
	s := newSite(t, []*backend{startBackend(t, demoapp.Options{Version: "v1"})}, []*backend{dead}, 1)
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	err := s.provider.SetWeight(context.Background(), tg, 20)
	if err == nil || !strings.Contains(err.Error(), "backend 127.0.0.1:1") {
		t.Fatalf("SetWeight to a dead backend = %v; want ErrUnhealthy naming it", err)
	}
	if got := s.share(t, "v1", 20); got != 100 {
		t.Errorf("stable serves %d%%; want 100", got)
	}
}

func TestBadConfigurationRestored(t *testing.T) {
	s := newSite(t, []*backend{startBackend(t, demoapp.Options{Version: "v1"})}, []*backend{startBackend(t, demoapp.Options{Version: "v2"})}, 1)
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	// The schema rejects such a header name; the provider must survive it
	// anyway.
	err := s.provider.Route(context.Background(), tg, deployer.Match{Header: "X Bad", Value: "1"})
	if err == nil || !strings.Contains(err.Error(), "nginx -t rejected") {
		t.Fatalf("Route with a bad header = %v; want nginx -t rejection", err)
	}
	if got := s.share(t, "v1", 10); got != 100 {
		t.Errorf("after the rejected change stable serves %d%%; want 100 (old files restored)", got)
	}
	if err := s.provider.SetWeight(context.Background(), tg, 50); err != nil {
		t.Errorf("SetWeight after a restored configuration = %v", err)
	}
}
