// Package apitest is a scripted HTTP API for the tests of report's GitHub
// and GitLab writers: the real clients talk to an httptest server that
// expects an exact sequence of requests (method, path, query and JSON body),
// answers each with a canned reply, fails the test on anything else, and
// checks at the end that every expected request came.
package apitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Call is one expected request and its reply.
type Call struct {
	Method string
	// Path is the request path, unescaped ("/repos/o/r/pulls/7/files");
	// RawPath, when set, is compared to the escaped form instead (GitLab's
	// "group%2Fproject").
	Path    string
	RawPath string
	// Query is the exact query string, order-insensitive ("per_page=100").
	Query string
	// Body is the JSON the request must carry (compared as JSON values);
	// "" for none.
	Body string
	// Check, when set, is asked about the body instead of Body (for tests
	// whose bodies carry text other packages own); it returns what is wrong.
	Check func(body []byte) string
	// Status defaults to 200; Reply is the response body (JSON).
	Status int
	Reply  string
	Header http.Header
}

// Request is a request the server received.
type Request struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

// Server is the scripted API.
type Server struct {
	t    testing.TB
	srv  *httptest.Server
	mu   sync.Mutex
	next []Call
	got  []Request
}

// New starts a server on loopback and registers its check and shutdown
// with t.Cleanup.
func New(t testing.TB) *Server {
	s := &Server{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.srv.Close()
		s.Verify()
	})
	return s
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Expect appends calls to the script.
func (s *Server) Expect(calls ...Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = append(s.next, calls...)
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.got...)
}

// Verify fails the test if expected calls did not come.
func (s *Server) Verify() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.next {
		s.t.Errorf("expected request did not come: %s %s %s", c.Method, c.Path, c.Body)
	}
	s.next = nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.got = append(s.got, Request{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Clone()})
	if len(s.next) == 0 {
		s.mu.Unlock()
		s.t.Errorf("unexpected request: %s %s?%s %s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, b)
		http.Error(w, `{"message":"unexpected request"}`, http.StatusTeapot)
		return
	}
	c := s.next[0]
	s.next = s.next[1:]
	s.mu.Unlock()

	if problem := c.mismatch(r, b); problem != "" {
		s.t.Errorf("request %s %s: %s", r.Method, r.URL.EscapedPath(), problem)
		http.Error(w, `{"message":"request does not match the script"}`, http.StatusTeapot)
		return
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	code := c.Status
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	io.WriteString(w, c.Reply)
}

func (c Call) mismatch(r *http.Request, body []byte) string {
	var problems []string
	if r.Method != c.Method {
		problems = append(problems, fmt.Sprintf("method = %s; want %s", r.Method, c.Method))
	}
	if c.RawPath != "" {
		if r.URL.EscapedPath() != c.RawPath {
			problems = append(problems, fmt.Sprintf("path = %s; want %s", r.URL.EscapedPath(), c.RawPath))
		}
	} else if r.URL.Path != c.Path {
		problems = append(problems, fmt.Sprintf("path = %s; want %s", r.URL.Path, c.Path))
	}
	gotQ, _ := url.ParseQuery(r.URL.RawQuery)
	wantQ, _ := url.ParseQuery(c.Query)
	if d := cmp.Diff(wantQ, gotQ); d != "" {
		problems = append(problems, "query (-want +got):\n"+d)
	}
	switch {
	case c.Check != nil:
		if p := c.Check(body); p != "" {
			problems = append(problems, p)
		}
	case c.Body == "" && len(strings.TrimSpace(string(body))) > 0:
		problems = append(problems, fmt.Sprintf("body = %s; want none", body))
	case c.Body != "":
		var want, got any
		if err := json.Unmarshal([]byte(c.Body), &want); err != nil {
			return "bad expected body in the test: " + err.Error()
		}
		if err := json.Unmarshal(body, &got); err != nil {
			problems = append(problems, fmt.Sprintf("body %q is not JSON: %v", body, err))
		} else if d := cmp.Diff(want, got); d != "" {
			problems = append(problems, "body (-want +got):\n"+d)
		}
	}
	return strings.Join(problems, "; ")
}

// JSON marshals v for a Call's Body or Reply.
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
