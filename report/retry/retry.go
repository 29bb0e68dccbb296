// Package retry is an http.RoundTripper that retries what a busy API asks
// to be retried: server errors and rate limits, with a bounded exponential
// backoff (cenkalti/backoff) that gives way to the server's own Retry-After,
// X-RateLimit-Reset (GitHub) or RateLimit-Reset (GitLab). The GitHub and
// GitLab writers of package report send every request through it.
package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Defaults of a zero Transport.
const (
	DefaultRetries = 4
	DefaultMaxWait = time.Minute
)

// Transport retries requests on 5xx responses, rate limits and connection
// failures. Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are retried
// on every 5xx and on network errors; other methods (POST, PATCH) only when
// the server cannot have acted on them: a rate limit, 503, or a refused
// connection, so a retried POST never creates a comment twice.
type Transport struct {
	// Base sends the requests; nil: a fresh http.Transport.
	Base http.RoundTripper
	// Retries is how many times a request is retried; 0: DefaultRetries,
	// negative: never.
	Retries int
	// MaxWait is the longest wait honoured; a server asking for longer (a
	// rate limit resetting in an hour) gets its response passed on at once.
	// 0: DefaultMaxWait.
	MaxWait time.Duration
	// Sleep waits d or until ctx is done; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock the reset headers are read against; nil: time.Now.
	Now func() time.Time
	// Logger gets one line per retry at info level; nil: none.
	Logger *slog.Logger
	// Backoff computes waits when the server names none; nil: exponential
	// from 500ms, doubling, at most 10s, ±50% jitter.
	Backoff backoff.BackOff

	once sync.Once
	own  http.RoundTripper
}

// New returns a Transport over base with the defaults.
func New(base http.RoundTripper, logger *slog.Logger) *Transport {
	return &Transport{Base: base, Logger: logger}
}

// Client returns an *http.Client whose requests go through t, with a timeout
// per attempt chain.
func (t *Transport) Client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: t, Timeout: timeout}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		t.once.Do(func() { t.own = newBase() })
		base = t.own
	}
	retries := t.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	maxWait := t.MaxWait
	if maxWait == 0 {
		maxWait = DefaultMaxWait
	}
	bo := t.Backoff
	if bo == nil {
		e := backoff.NewExponentialBackOff()
		e.InitialInterval = 500 * time.Millisecond
		e.MaxInterval = 10 * time.Second
		bo = e
	}
	bo.Reset()
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, err
			}
		}
		resp, err := base.RoundTrip(r)
		if attempt >= retries || ctx.Err() != nil {
			return resp, err
		}
		why, wait, ok := t.retryable(req, resp, err)
		if !ok {
			return resp, err
		}
		if wait <= 0 {
			wait = bo.NextBackOff()
		}
		if wait > maxWait || wait == backoff.Stop {
			if t.Logger != nil {
				t.Logger.Info("not retrying: the server asks to wait too long", "method", req.Method, "path", req.URL.Path, "reason", why, "wait", wait.Round(time.Second))
			}
			return resp, err
		}
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, err // cannot replay the body
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if t.Logger != nil {
			t.Logger.Info("retrying", "method", req.Method, "path", req.URL.Path, "reason", why, "wait", wait.Round(time.Millisecond), "attempt", attempt+1)
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func newBase() http.RoundTripper {
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        10,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
}

func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("retry %s %s: %w", req.Method, req.URL.Path, err)
		}
		r.Body = b
	}
	return r, nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// retryable says whether to retry, why, and how long the server asks to wait
// (0: it does not say).
func (t *Transport) retryable(req *http.Request, resp *http.Response, err error) (string, time.Duration, bool) {
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return "", 0, false
		}
		var op *net.OpError
		refused := errors.As(err, &op) && op.Op == "dial"
		if refused || idempotent(req.Method) {
			return "network error", 0, true
		}
		return "", 0, false
	}
	h := resp.Header
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusForbidden && (h.Get("X-RateLimit-Remaining") == "0" || h.Get("Retry-After") != ""):
		return "rate limited", t.serverWait(h), true
	case resp.StatusCode == http.StatusServiceUnavailable:
		return resp.Status, t.serverWait(h), true
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && idempotent(req.Method):
		return resp.Status, t.serverWait(h), true
	}
	return "", 0, false
}

// serverWait reads Retry-After (seconds or a date), then the reset headers
// (Unix seconds).
func (t *Transport) serverWait(h http.Header) time.Duration {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return max(time.Duration(s)*time.Second, time.Millisecond)
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now()), time.Millisecond)
		}
	}
	for _, k := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		if v := h.Get(k); v != "" {
			if s, err := strconv.ParseInt(v, 10, 64); err == nil {
				// one second more: the reset time is rounded down
				return max(time.Unix(s, 0).Sub(now())+time.Second, time.Millisecond)
			}
		}
	}
	return 0
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
