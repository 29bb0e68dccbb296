package gates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// GitLabPeriod is a deploy freeze period of a GitLab project: cron
// expressions for its start and end in a time zone.
type GitLabPeriod struct {
	ID           int64  `json:"id"`
	FreezeStart  string `json:"freeze_start"`
	FreezeEnd    string `json:"freeze_end"`
	CronTimezone string `json:"cron_timezone"`
}

// GitLabFreezes is what the gitlab_freeze check evaluates: the periods read
// from the API, or, without a token, the CI_DEPLOY_FREEZE variable.
type GitLabFreezes struct {
	Periods []GitLabPeriod
	// Fallback marks a decision from CI_DEPLOY_FREEZE, which GitLab computes
	// when the pipeline is created: stale for a job started later.
	Fallback bool
	// DeployFreeze is CI_DEPLOY_FREEZE's value ("true" during a freeze).
	DeployFreeze string
	// Skipped, when set, says why the check could not run (not a GitLab job).
	Skipped string
}

// GitLabSource says where to read a project's freeze periods.
type GitLabSource struct {
	// BaseURL is the API's URL, CI_API_V4_URL (https://gitlab.com/api/v4).
	BaseURL string
	// Project is the project's ID or path, CI_PROJECT_ID.
	Project string
	// Token is a personal, project or group access token with read_api.
	Token  string
	Client *http.Client
	Logger *slog.Logger
}

// FetchGitLabFreezes reads every freeze period of the project, following
// pagination. An unreachable API is fault.Unavailable; a token the API
// refuses is fault.Usage (the setting to fix).
func FetchGitLabFreezes(ctx context.Context, src GitLabSource) ([]GitLabPeriod, error) {
	log := src.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []gitlab.ClientOptionFunc{
		gitlab.WithBaseURL(src.BaseURL),
		gitlab.WithURLWarningLogger(log),
		gitlab.WithCustomRetryMax(2),
		gitlab.WithCustomRetryWaitMinMax(100*time.Millisecond, time.Second),
	}
	if src.Client != nil {
		opts = append(opts, gitlab.WithHTTPClient(src.Client))
	}
	c, err := gitlab.NewClient(src.Token, opts...)
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "GitLab API URL %q: %v", src.BaseURL, err)
	}
	var out []GitLabPeriod
	opt := &gitlab.ListFreezePeriodsOptions{ListOptions: gitlab.ListOptions{Page: 1, PerPage: 100}}
	for page := 0; page < 100; page++ {
		ps, resp, err := c.FreezePeriods.ListFreezePeriods(src.Project, opt, gitlab.WithContext(ctx))
		if err != nil {
			return nil, gitlabError(err, resp, src)
		}
		for _, p := range ps {
			out = append(out, GitLabPeriod{ID: p.ID, FreezeStart: p.FreezeStart, FreezeEnd: p.FreezeEnd, CronTimezone: p.CronTimezone})
		}
		log.Debug("gitlab freeze periods", "page", opt.Page, "periods", len(ps), "next", resp.NextPage)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = int64(resp.NextPage)
	}
	return nil, fault.Errorf(fault.Unavailable, "GitLab freeze periods of project %s: more than 100 pages", src.Project)
}

func gitlabError(err error, resp *gitlab.Response, src GitLabSource) error {
	what := fmt.Sprintf("GitLab freeze periods of project %s", src.Project)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fault.Wrap(fault.Unavailable, err, what)
	}
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return fault.Errorf(fault.Usage, "%s: %s: the token needs the read_api scope and at least Reporter access (LOCKSTEP_GITLAB_TOKEN)", what, http.StatusText(status))
	case errors.Is(err, gitlab.ErrNotFound):
		return fault.Errorf(fault.Usage, "%s: not found (check CI_PROJECT_ID and that the token can see the project)", what)
	case status != 0:
		return fault.Errorf(fault.Unavailable, "%s: %s", what, http.StatusText(status))
	}
	msg := err.Error()
	if src.Token != "" {
		msg = strings.ReplaceAll(msg, src.Token, "xxxxx")
	}
	return fault.Errorf(fault.Unavailable, "%s: GitLab unreachable: %s", what, msg)
}

// glPeriod is a period ready to evaluate.
type glPeriod struct {
	GitLabPeriod
	start, end *cronSpec
	err        error
}

// gitlabSchedule applies GitLab's own rule to each period, so lockstep
// agrees with GitLab's UI: with now truncated to the second as fugit
// does, the period's start is the last start occurrence strictly before
// now, its end the first end occurrence strictly after that start, and it
// is active when start <= now <= end (the end second itself is frozen).
type gitlabSchedule struct {
	periods []glPeriod
	// frozen is set for the CI_DEPLOY_FREEZE fallback: frozen, end unknown.
	frozen bool
}

func newGitLabSchedule(in *GitLabFreezes) *gitlabSchedule {
	s := &gitlabSchedule{}
	if in.Fallback {
		s.frozen = in.DeployFreeze != "" && in.DeployFreeze != "false"
		return s
	}
	for _, p := range in.Periods {
		gp := glPeriod{GitLabPeriod: p}
		zone := p.CronTimezone
		if zone == "" {
			zone = "UTC"
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			gp.err = fmt.Errorf("cron_timezone %q is not an IANA zone lockstep knows", zone)
		} else if gp.start, err = parseCron(p.FreezeStart, loc); err != nil {
			gp.err = fmt.Errorf("freeze_start: %v", err)
		} else if gp.end, err = parseCron(p.FreezeEnd, loc); err != nil {
			gp.err = fmt.Errorf("freeze_end: %v", err)
		}
		s.periods = append(s.periods, gp)
	}
	return s
}

func (s *gitlabSchedule) gate() string { return GateGitLabFreeze }

// activeAt returns the bounds of p's active occurrence at t.
func (p *glPeriod) activeAt(t time.Time) (start, end time.Time, active bool) {
	if p.err != nil {
		return time.Time{}, time.Time{}, true // cannot evaluate: frozen
	}
	start, ok := p.start.prev(t.Truncate(time.Second))
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	end, ok = p.end.next(start)
	if !ok {
		return start, time.Time{}, false
	}
	return start, end, !t.Before(start) && !t.After(end)
}

func (s *gitlabSchedule) allowed(t time.Time) bool {
	if s.frozen {
		return false
	}
	for i := range s.periods {
		if _, _, active := s.periods[i].activeAt(t); active {
			return false
		}
	}
	return true
}

func (s *gitlabSchedule) nextAllowed(t time.Time) (time.Time, bool) {
	if s.frozen {
		return time.Time{}, false
	}
	x := t
	for i := 0; i < 1000; i++ {
		moved := false
		for j := range s.periods {
			p := &s.periods[j]
			_, end, active := p.activeAt(x)
			if !active {
				continue
			}
			if p.err != nil {
				return time.Time{}, false
			}
			// The end second is frozen; the first instant after it is not.
			x, moved = end.Add(time.Second), true
		}
		if !moved {
			return x, true
		}
		if x.Sub(t) > horizonDays*24*time.Hour {
			break
		}
	}
	return time.Time{}, false
}

func (s *gitlabSchedule) nextBlocked(t time.Time) (time.Time, bool) {
	var best time.Time
	for i := range s.periods {
		p := &s.periods[i]
		if p.err != nil {
			continue
		}
		// A start at s' freezes from the second after it (now truncated to
		// the second must be past s').
		st, ok := p.start.next(t.Truncate(time.Second).Add(-time.Second))
		if !ok {
			continue
		}
		b := st.Add(time.Second)
		if !b.After(t) {
			if st2, ok := p.start.next(st); ok {
				b = st2.Add(time.Second)
			}
		}
		if best.IsZero() || b.Before(best) {
			best = b
		}
	}
	return best, !best.IsZero()
}
