package demoapp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFailRateIsExact(t *testing.T) {
	app := New(Options{Version: "v2", FailRate: 0.3})
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	l := StartLoad(context.Background(), LoadOptions{URL: srv.URL + "/", Rate: 1000, Workers: 2, Duration: 5 * time.Second})
	time.Sleep(300 * time.Millisecond)
	s := l.Stop()
	// Failures are spread: of the first n requests, ceil(0.3n) failed.
	if s.Total < 50 || s.Failed < int(0.3*float64(s.Total))-1 || s.Failed > int(0.3*float64(s.Total))+1 {
		t.Errorf("%d of %d failed; want 30%%", s.Failed, s.Total)
	}
	if s.ByVersion["v2"] != s.Total {
		t.Errorf("versions %v", s.ByVersion)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`http_requests_total{code="500",version="v2"}`, `http_requests_total{code="200",version="v2"}`, `http_request_duration_seconds_bucket{version="v2",le="0.001"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestControl(t *testing.T) {
	app := New(Options{Version: "v1"})
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	get := func() int {
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get(); c != 200 {
		t.Fatalf("code %d", c)
	}
	resp, err := http.PostForm(srv.URL+"/control", url.Values{"fail": {"1"}, "delay": {"20ms"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("control: %v %v", err, resp.Status)
	}
	start := time.Now()
	if c := get(); c != 500 || time.Since(start) < 20*time.Millisecond {
		t.Errorf("after control: code %d in %s; want 500 after 20ms", c, time.Since(start))
	}
	resp, _ = http.PostForm(srv.URL+"/control", url.Values{"fail": {"2"}})
	if resp.StatusCode != 400 {
		t.Errorf("fail=2: %s; want 400", resp.Status)
	}
}
