package retry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/go-cmp/cmp"
)

// script answers the n-th request with the n-th step; it records every body.
type script struct {
	mu     sync.Mutex
	steps  []func(w http.ResponseWriter)
	bodies []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	s.bodies = append(s.bodies, string(b))
	i := len(s.bodies) - 1
	if i >= len(s.steps) {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	s.steps[i](w)
}

func status(code int, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, strconv.Itoa(code))
	}
}

var epoch = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newTransport(waits *[]time.Duration) *Transport {
	return &Transport{
		Now: func() time.Time { return epoch },
		Sleep: func(ctx context.Context, d time.Duration) error {
			*waits = append(*waits, d)
			return ctx.Err()
		},
		Backoff: backoff.NewConstantBackOff(250 * time.Millisecond),
	}
}

func TestRetry(t *testing.T) {
	reset := strconv.FormatInt(epoch.Add(30*time.Second).Unix(), 10)
	far := strconv.FormatInt(epoch.Add(time.Hour).Unix(), 10)
	tests := []struct {
		name      string
		method    string
		steps     []func(w http.ResponseWriter)
		wantCode  int
		wantWaits []time.Duration
		wantCalls int
	}{
		{"5xx then ok", "GET", []func(http.ResponseWriter){status(502), status(500), status(200)},
			200, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}, 3},
		{"429 honours Retry-After seconds", "GET", []func(http.ResponseWriter){status(429, "Retry-After", "7"), status(200)},
			200, []time.Duration{7 * time.Second}, 2},
		{"Retry-After as a date", "GET", []func(http.ResponseWriter){status(503, "Retry-After", epoch.Add(3*time.Second).Format(http.TimeFormat)), status(200)},
			200, []time.Duration{3 * time.Second}, 2},
		{"GitHub primary rate limit waits for X-RateLimit-Reset", "POST", []func(http.ResponseWriter){
			status(403, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset), status(201)},
			201, []time.Duration{31 * time.Second}, 2},
		{"GitLab RateLimit-Reset", "POST", []func(http.ResponseWriter){status(429, "RateLimit-Reset", reset), status(201)},
			201, []time.Duration{31 * time.Second}, 2},
		{"a reset an hour away is not waited for", "GET", []func(http.ResponseWriter){
			status(403, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", far)},
			403, nil, 1},
		{"bounded: gives up after the last retry", "GET", []func(http.ResponseWriter){status(500), status(500), status(500), status(500), status(500), status(200)},
			500, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond}, 5},
		{"POST is not retried on 502: it may have been done", "POST", []func(http.ResponseWriter){status(502), status(201)},
			502, nil, 1},
		{"plain 403 is an answer, not a rate limit", "GET", []func(http.ResponseWriter){status(403), status(200)},
			403, nil, 1},
		{"4xx is not retried", "PATCH", []func(http.ResponseWriter){status(422), status(200)},
			422, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{steps: tt.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			var waits []time.Duration
			tr := newTransport(&waits)
			tr.Base = srv.Client().Transport
			req, _ := http.NewRequest(tt.method, srv.URL+"/x", strings.NewReader(`{"body":"hello"}`))
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status = %d; want %d", resp.StatusCode, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantWaits, waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if len(s.bodies) != tt.wantCalls {
				t.Errorf("calls = %d; want %d", len(s.bodies), tt.wantCalls)
			}
			for i, b := range s.bodies {
				if b != `{"body":"hello"}` {
					t.Errorf("body of attempt %d = %q; want it replayed", i+1, b)
				}
			}
		})
	}
}

func TestRetryStopsOnCancel(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter){status(503), status(200)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &Transport{Base: srv.Client().Transport, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("RoundTrip after cancel = nil error")
	}
	if len(s.bodies) != 1 {
		t.Errorf("calls = %d; want 1", len(s.bodies))
	}
}

func TestRetryRefusedConnection(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	var waits []time.Duration
	tr := newTransport(&waits)
	tr.Retries = 2
	req, _ := http.NewRequest("POST", url, strings.NewReader("x"))
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("RoundTrip to a closed port = nil error")
	}
	if len(waits) != 2 {
		t.Errorf("waits = %v; want 2 retries of a refused POST", waits)
	}
}
