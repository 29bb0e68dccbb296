package gates

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// gitlabAPI is a fake GitLab API that checks every request and fails the
// test on any it does not expect.
type gitlabAPI struct {
	t     *testing.T
	mu    sync.Mutex
	calls []string
	pages map[string]string // page number to JSON body
	token string
	path  string // expected escaped path, e.g. /api/v4/projects/group%2Fapp/freeze_periods
}

func (g *gitlabAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	path := r.URL.EscapedPath()
	g.calls = append(g.calls, r.Method+" "+path+"?"+r.URL.RawQuery)
	if r.Method != http.MethodGet || path != g.path {
		g.t.Errorf("unexpected request %s %s", r.Method, path)
		http.Error(w, `{"message":"404 Not Found"}`, http.StatusNotFound)
		return
	}
	if got := r.Header.Get("PRIVATE-TOKEN"); got != g.token {
		g.t.Errorf("PRIVATE-TOKEN = %q; want %q", got, g.token)
		http.Error(w, `{"message":"401 Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	if q.Get("per_page") != "100" {
		g.t.Errorf("per_page = %q; want 100", q.Get("per_page"))
	}
	page := q.Get("page")
	body, ok := g.pages[page]
	if !ok {
		g.t.Errorf("unexpected page %q", page)
		http.Error(w, "[]", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Page", page)
	w.Header().Set("X-Per-Page", "100")
	w.Header().Set("X-Total-Pages", fmt.Sprint(len(g.pages)))
	if next := fmt.Sprint(atoi(page) + 1); g.pages[next] != "" {
		w.Header().Set("X-Next-Page", next)
	}
	fmt.Fprint(w, body)
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

func TestFetchGitLabFreezes(t *testing.T) {
	api := &gitlabAPI{t: t, token: "glpat-secret", path: "/api/v4/projects/group%2Fapp/freeze_periods", pages: map[string]string{
		"1": `[{"id":1,"freeze_start":"0 23 * * 5","freeze_end":"0 7 * * 1","cron_timezone":"UTC","created_at":"2020-04-01T00:00:00Z","updated_at":"2020-04-01T00:00:00Z"}]`,
		"2": `[{"id":7,"freeze_start":"0 0 20 12 *","freeze_end":"0 0 5 1 *","cron_timezone":"Europe/Berlin"}]`,
	}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	got, err := FetchGitLabFreezes(context.Background(), GitLabSource{
		BaseURL: srv.URL + "/api/v4", Project: "group/app", Token: "glpat-secret", Client: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []GitLabPeriod{
		{ID: 1, FreezeStart: "0 23 * * 5", FreezeEnd: "0 7 * * 1", CronTimezone: "UTC"},
		{ID: 7, FreezeStart: "0 0 20 12 *", FreezeEnd: "0 0 5 1 *", CronTimezone: "Europe/Berlin"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("periods (-want +got):\n%s", d)
	}
	wantCalls := []string{
		"GET /api/v4/projects/group%2Fapp/freeze_periods?page=1&per_page=100",
		"GET /api/v4/projects/group%2Fapp/freeze_periods?page=2&per_page=100",
	}
	if d := cmp.Diff(wantCalls, api.calls); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

func TestFetchGitLabFreezesErrors(t *testing.T) {
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"403 Forbidden"}`, http.StatusForbidden)
	}))
	defer forbidden.Close()
	_, err := FetchGitLabFreezes(context.Background(), GitLabSource{BaseURL: forbidden.URL + "/api/v4", Project: "42", Token: "glpat-secret", Client: forbidden.Client()})
	if !errors.Is(err, fault.Usage) || !strings.Contains(err.Error(), "read_api") {
		t.Errorf("403: err = %v; want a usage error about the token's scope", err)
	}
	if strings.Contains(fmt.Sprint(err), "glpat-secret") {
		t.Errorf("error shows the token: %v", err)
	}

	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	_, err = FetchGitLabFreezes(context.Background(), GitLabSource{BaseURL: url + "/api/v4", Project: "42", Token: "glpat-secret"})
	if !errors.Is(err, fault.Unavailable) {
		t.Errorf("unreachable: err = %v; want fault.Unavailable", err)
	}
}

func gitlabPeriods(t *testing.T, ps ...GitLabPeriod) *gitlabSchedule {
	t.Helper()
	s := newGitLabSchedule(&GitLabFreezes{Periods: ps})
	for _, p := range s.periods {
		if p.err != nil {
			t.Fatal(p.err)
		}
	}
	return s
}

// The cases of GitLab's own model spec (Ci::FreezePeriod): a weekend
// period Friday 23:00 to Monday 07:00 UTC, and a period overlapping itself.
func TestGitLabRule(t *testing.T) {
	weekend := gitlabPeriods(t, GitLabPeriod{ID: 1, FreezeStart: "0 23 * * 5", FreezeEnd: "0 7 * * 1", CronTimezone: "UTC"})
	checkAllowed(t, weekend, map[time.Time]bool{
		utc(2020, 4, 10, 22, 59): true,
		utc(2020, 4, 10, 23, 1):  false,
		utc(2020, 4, 11, 12, 0):  false,
		utc(2020, 4, 13, 6, 59):  false,
		utc(2020, 4, 13, 7, 0):   false, // the end second is frozen (now <= end)
		utc(2020, 4, 13, 7, 1):   true,
		utc(2020, 4, 14, 8, 0):   true,
		// The start itself is not: fugit's previous time is strictly before
		// now, truncated to the second.
		utc(2020, 4, 10, 23, 0):                      true,
		utc(2020, 4, 10, 23, 0).Add(time.Second):     false,
		utc(2020, 4, 10, 23, 0).Add(time.Second / 2): true,
	})
	got, ok := weekend.nextAllowed(utc(2020, 4, 11, 12, 0))
	wantTime(t, "thaw", got, ok, utc(2020, 4, 13, 7, 0).Add(time.Second))
	got, ok = weekend.nextBlocked(utc(2020, 4, 14, 8, 0))
	wantTime(t, "next freeze", got, ok, utc(2020, 4, 17, 23, 0).Add(time.Second))

	// Every minute of August starts the period, every minute of October
	// ends it (gitlab-org/gitlab#370472).
	self := gitlabPeriods(t, GitLabPeriod{ID: 2, FreezeStart: "* * * 8 *", FreezeEnd: "* * * 10 *", CronTimezone: "UTC"})
	checkAllowed(t, self, map[time.Time]bool{
		utc(2020, 8, 11, 0, 0):  false,
		utc(2020, 9, 30, 12, 0): false,
		utc(2020, 10, 11, 0, 0): true,
	})
	got, ok = self.nextAllowed(utc(2020, 8, 11, 0, 0))
	wantTime(t, "self-overlap thaw", got, ok, utc(2020, 10, 1, 0, 0).Add(time.Second))

	// In the period's own zone: Friday 18:00 to Monday 08:00 Berlin time.
	zoned := gitlabPeriods(t, GitLabPeriod{ID: 3, FreezeStart: "0 18 * * 5", FreezeEnd: "0 8 * * 1", CronTimezone: "Europe/Berlin"})
	checkAllowed(t, zoned, map[time.Time]bool{
		local(2026, 11, 27, 17, 30): true,
		local(2026, 11, 27, 18, 30): false,
		utc(2026, 11, 30, 7, 30):    true, // 08:30 Berlin
	})
}

func TestGitLabUnparsablePeriodFreezes(t *testing.T) {
	s := newGitLabSchedule(&GitLabFreezes{Periods: []GitLabPeriod{{ID: 9, FreezeStart: "0 0 L * *", FreezeEnd: "0 8 * * 1", CronTimezone: "UTC"}}})
	if s.allowed(utc(2026, 11, 30, 10, 0)) {
		t.Error("a period lockstep cannot evaluate lets deploys through; want frozen")
	}
	if _, ok := s.nextAllowed(utc(2026, 11, 30, 10, 0)); ok {
		t.Error("nextAllowed known for an unparsable period")
	}
	fallback := newGitLabSchedule(&GitLabFreezes{Fallback: true, DeployFreeze: "true"})
	if fallback.allowed(utc(2026, 11, 30, 10, 0)) {
		t.Error("CI_DEPLOY_FREEZE=true allowed")
	}
	if !newGitLabSchedule(&GitLabFreezes{Fallback: true}).allowed(utc(2026, 11, 30, 10, 0)) {
		t.Error("CI_DEPLOY_FREEZE unset blocked")
	}
}
