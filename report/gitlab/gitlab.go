// Package gitlab puts lockstep's reports on GitLab: merge request
// discussions on the lines the diff touches (positioned with the MR's own
// diff refs, deduplicated across runs, resolved when their finding is
// gone and reopened when it comes back), one sticky MR note with a section per stage, a commit status per
// stage on the running pipeline, deployment records, and outputs as a
// dotenv file. The Code Quality artifact is lint's gitlab format, written by
// the lint command itself. It talks to the REST API with
// gitlab.com/gitlab-org/api/client-go; every request goes through
// report/retry.
package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/lockstep-dev/lockstep/report"
	"github.com/lockstep-dev/lockstep/report/diff"
)

// MaxComments is how many discussions one run opens at most.
const MaxComments = 30

// targetURLLimit is the longest target_url GitLab stores.
const targetURLLimit = 255

// Options are the writer's dependencies.
type Options struct {
	// HTTPClient sends the API requests (wrap its transport with
	// report/retry); required.
	HTTPClient *http.Client
	// Filter decides which findings become discussions; "" is diff.ModeAdded.
	Filter   diff.Mode
	StickyID string
	// Username is the account the token acts as. "": asked of the API for
	// access tokens; with CI_JOB_TOKEN (which cannot ask) notes are matched
	// by lockstep's hidden marker alone.
	Username string
	// LocalDiff gives the merge request's diff when the API cannot.
	LocalDiff func(ctx context.Context) (*diff.Diff, error)
	// Dotenv, when set, is the file outputs are written to as KEY=value
	// lines, for `artifacts: reports: dotenv:`.
	Dotenv string
	Logger *slog.Logger
}

// Publisher writes reports to one project and, in an MR pipeline, to its
// merge request.
type Publisher struct {
	cfg Config
	o   Options
	api *gl.Client
	log *slog.Logger

	mu       sync.Mutex
	identity *identity
}

var (
	_ report.Publisher = (*Publisher)(nil)
	_ report.Deployer  = (*Publisher)(nil)
)

// New returns a Publisher. It makes no request.
func New(cfg Config, o Options) (*Publisher, error) {
	if o.Filter == "" {
		o.Filter = diff.ModeAdded
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		return nil, errors.New("gitlab: no HTTP client")
	}
	if u, err := url.Parse(cfg.APIURL); err != nil || u.Host == "" {
		return nil, fmt.Errorf("CI_API_V4_URL %q: not a URL: %w", cfg.APIURL, report.ErrContext)
	}
	opts := []gl.ClientOptionFunc{
		gl.WithURLWarningLogger(log),
		gl.WithBaseURL(cfg.APIURL),
		gl.WithHTTPClient(o.HTTPClient),
		gl.WithoutRetries(), // report/retry does it, with bounds and Retry-After
		gl.WithUserAgent("lockstep"),
	}
	var api *gl.Client
	var err error
	if cfg.JobToken {
		api, err = gl.NewJobClient(cfg.Token.Reveal(), opts...)
	} else {
		api, err = gl.NewClient(cfg.Token.Reveal(), opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	return &Publisher{cfg: cfg, o: o, api: api, log: log}, nil
}

// Publish posts the report: discussions (with ReviewStage), the sticky note
// (with Sections), statuses, and the outputs' dotenv file (always).
func (p *Publisher) Publish(ctx context.Context, r *report.Report) error {
	var apiErr error
	if p.cfg.Token == "" {
		apiErr = fmt.Errorf("GitLab: %w (set GITLAB_TOKEN to a project access token with the api scope)", report.ErrNoToken)
	} else {
		apiErr = p.publishAPI(ctx, r)
	}
	if err := p.dotenv(r.Outputs); err != nil && apiErr == nil {
		apiErr = err
	}
	return apiErr
}

func (p *Publisher) publishAPI(ctx context.Context, r *report.Report) error {
	if p.cfg.MR > 0 {
		if r.ReviewStage != "" {
			if err := p.discussions(ctx, r.ReviewStage, r.Annotations); err != nil {
				return err
			}
		}
		if len(r.Sections) > 0 {
			if err := p.sticky(ctx, r.Sections); err != nil {
				return err
			}
		}
	}
	for _, s := range r.Statuses {
		if err := p.status(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

type identity struct{ username string } // "": match by marker only

func (id *identity) owns(n *gl.Note) bool {
	if n.System {
		return false
	}
	return id.username == "" || strings.EqualFold(n.Author.Username, id.username)
}

func (p *Publisher) whoAmI(ctx context.Context) (*identity, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.identity != nil {
		return p.identity, nil
	}
	id := &identity{username: p.o.Username}
	if id.username == "" && !p.cfg.JobToken {
		u, _, err := p.api.Users.CurrentUser(gl.WithContext(ctx))
		if err != nil {
			return nil, p.apiError("read the token's user", err)
		}
		id.username = u.Username
	}
	p.identity = id
	return id, nil
}

// refs are the SHAs a diff position names.
type refs struct{ base, start, head string }

// diffRefs reads the merge request's latest version: its base, start and
// head SHAs position discussions (not the target branch's head, which may
// have moved on).
func (p *Publisher) diffRefs(ctx context.Context) (refs, error) {
	vs, _, err := p.api.MergeRequests.GetMergeRequestDiffVersions(p.cfg.Project, p.cfg.MR, nil, gl.WithContext(ctx))
	if err == nil && len(vs) > 0 {
		v := vs[0]
		return refs{v.BaseCommitSHA, v.StartCommitSHA, v.HeadCommitSHA}, nil
	}
	if p.cfg.BaseSHA != "" && p.cfg.SHA != "" {
		p.log.Info("reading the merge request's versions failed; positioning with CI_MERGE_REQUEST_DIFF_BASE_SHA", "err", err)
		return refs{p.cfg.BaseSHA, p.cfg.BaseSHA, p.cfg.SHA}, nil
	}
	if err == nil {
		err = errors.New("the merge request has no diff versions")
	}
	return refs{}, p.apiError(fmt.Sprintf("read the versions of merge request !%d", p.cfg.MR), err)
}

// mrDiff reads the merge request's diffs, or else the local diff.
func (p *Publisher) mrDiff(ctx context.Context) (*diff.Diff, error) {
	d := diff.New()
	opt := &gl.ListMergeRequestDiffsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		files, resp, err := p.api.MergeRequests.ListMergeRequestDiffs(p.cfg.Project, p.cfg.MR, opt, gl.WithContext(ctx))
		if err != nil {
			apiErr := p.apiError(fmt.Sprintf("list the diffs of merge request !%d", p.cfg.MR), err)
			if p.o.LocalDiff != nil && !errors.Is(apiErr, report.ErrToken) {
				local, lerr := p.o.LocalDiff(ctx)
				if lerr == nil {
					p.log.Info("reading the merge request's diffs failed; using the local git diff", "err", apiErr)
					return local, nil
				}
				p.log.Info("no local git diff either", "err", lerr)
			}
			return nil, apiErr
		}
		for _, f := range files {
			oldPath, newPath := f.OldPath, f.NewPath
			switch {
			case f.NewFile:
				oldPath = ""
			case f.DeletedFile:
				newPath = ""
			}
			patch := f.Diff
			if f.TooLarge || f.Collapsed {
				patch = ""
			}
			if err := d.AddPatch(oldPath, newPath, patch); err != nil {
				p.log.Warn("unreadable diff; its file gets no discussions", "file", newPath, "err", err)
				d.AddPatch(oldPath, newPath, "")
			}
		}
		if resp.NextPage == 0 {
			return d, nil
		}
		opt.Page = resp.NextPage
	}
}

type thread struct {
	d        *gl.Discussion
	fp       string
	resolved bool
	// acknowledged: someone other than lockstep resolved the thread while
	// its finding stands (accepted, or won't fix); it is not opened again.
	acknowledged bool
}

// discussions opens a thread per new finding on the diff and resolves the
// stage's threads whose finding is gone.
func (p *Publisher) discussions(ctx context.Context, stage report.Stage, anns []report.Annotation) error {
	id, err := p.whoAmI(ctx)
	if err != nil {
		return err
	}
	var d *diff.Diff
	var rf refs
	if len(anns) > 0 {
		if rf, err = p.diffRefs(ctx); err != nil {
			return err
		}
		if d, err = p.mrDiff(ctx); err != nil {
			return err
		}
	}
	existing, err := p.threads(ctx, id, stage)
	if err != nil {
		return err
	}
	// A thread counts while it is open, or when a person resolved it: the
	// finding is not posted again. One lockstep resolved (its finding was
	// gone) is reopened when the finding comes back, with a reply saying
	// so, rather than opening a second thread for it.
	live := map[string]bool{}
	reopen := map[string]*thread{}
	for _, t := range existing {
		if !t.resolved || t.acknowledged {
			live[t.fp] = true
		} else {
			reopen[t.fp] = t // the latest of several wins
		}
	}
	current := map[string]bool{}
	opened, more := 0, 0
	for _, a := range anns {
		first, last := a.Lines()
		pl := d.Place(a.Path, first, last, p.o.Filter)
		if pl.Where != diff.Inline { // GitLab threads sit on lines
			continue
		}
		fp := a.Fingerprint()
		if current[fp] {
			continue
		}
		current[fp] = true
		if live[fp] {
			continue
		}
		if t := reopen[fp]; t != nil {
			if err := p.reopen(ctx, t, rf.head); err != nil {
				return err
			}
			continue
		}
		if opened >= MaxComments {
			more++
			continue
		}
		co := report.CommentOptions{Stage: stage}
		if pl.Whole {
			co.SuggestionFence = fmt.Sprintf("suggestion:-0+%d", pl.EndLine-pl.StartLine)
		}
		pos := &gl.PositionOptions{
			PositionType: gl.Ptr("text"),
			BaseSHA:      gl.Ptr(rf.base), StartSHA: gl.Ptr(rf.start), HeadSHA: gl.Ptr(rf.head),
			OldPath: gl.Ptr(pl.OldPath), NewPath: gl.Ptr(pl.Path),
			NewLine: gl.Ptr(int64(pl.StartLine)),
		}
		if pl.Start.Kind == diff.Context { // an unchanged line needs both numbers
			pos.OldLine = gl.Ptr(int64(pl.Start.Old))
		}
		opt := &gl.CreateMergeRequestDiscussionOptions{Body: gl.Ptr(report.Comment(a, co)), Position: pos}
		if _, _, err := p.api.Discussions.CreateMergeRequestDiscussion(p.cfg.Project, p.cfg.MR, opt, gl.WithContext(ctx)); err != nil {
			return p.apiError(fmt.Sprintf("open a thread on %s:%d", pl.Path, pl.StartLine), err)
		}
		opened++
	}
	if more > 0 {
		p.log.Warn(fmt.Sprintf("%d more findings not posted as threads (at most %d per run); the Code Quality report lists all", more, MaxComments))
	}
	for _, t := range existing {
		if t.resolved || current[t.fp] {
			continue
		}
		opt := &gl.ResolveMergeRequestDiscussionOptions{Resolved: gl.Ptr(true)}
		if _, _, err := p.api.Discussions.ResolveMergeRequestDiscussion(p.cfg.Project, p.cfg.MR, t.d.ID, opt, gl.WithContext(ctx)); err != nil {
			return p.apiError("resolve an outdated thread", err)
		}
	}
	return nil
}

// reopen unresolves a thread lockstep resolved whose finding is back, and
// replies in it so that the reopening is explained.
func (p *Publisher) reopen(ctx context.Context, t *thread, head string) error {
	opt := &gl.ResolveMergeRequestDiscussionOptions{Resolved: gl.Ptr(false)}
	if _, _, err := p.api.Discussions.ResolveMergeRequestDiscussion(p.cfg.Project, p.cfg.MR, t.d.ID, opt, gl.WithContext(ctx)); err != nil {
		return p.apiError("reopen a thread whose finding is back", err)
	}
	at := ""
	if head != "" {
		at = " as of `" + head[:min(len(head), 7)] + "`"
	}
	note := &gl.AddMergeRequestDiscussionNoteOptions{Body: gl.Ptr("🔁 lockstep finds this again" + at + ".")}
	if _, _, err := p.api.Discussions.AddMergeRequestDiscussionNote(p.cfg.Project, p.cfg.MR, t.d.ID, note, gl.WithContext(ctx)); err != nil {
		return p.apiError("reply in a reopened thread", err)
	}
	return nil
}

// threads lists the merge request's threads lockstep opened for stage.
func (p *Publisher) threads(ctx context.Context, id *identity, stage report.Stage) ([]*thread, error) {
	var out []*thread
	opt := &gl.ListMergeRequestDiscussionsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		ds, resp, err := p.api.Discussions.ListMergeRequestDiscussions(p.cfg.Project, p.cfg.MR, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, p.apiError(fmt.Sprintf("list the threads of merge request !%d", p.cfg.MR), err)
		}
		for _, d := range ds {
			if len(d.Notes) == 0 || !id.owns(d.Notes[0]) {
				continue
			}
			fp, st, _, ok := report.ParseMarker(d.Notes[0].Body)
			if !ok || st != stage {
				continue
			}
			n := d.Notes[0]
			by := n.ResolvedBy.Username
			out = append(out, &thread{d: d, fp: fp, resolved: n.Resolved,
				acknowledged: n.Resolved && by != "" && !strings.EqualFold(by, n.Author.Username)})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// sticky creates or edits the one note with a section per stage.
func (p *Publisher) sticky(ctx context.Context, sections []report.Section) error {
	id, err := p.whoAmI(ctx)
	if err != nil {
		return err
	}
	var found *gl.Note
	opt := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: 100}, OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc")}
	for found == nil {
		ns, resp, err := p.api.Notes.ListMergeRequestNotes(p.cfg.Project, p.cfg.MR, opt, gl.WithContext(ctx))
		if err != nil {
			return p.apiError(fmt.Sprintf("list the notes of merge request !%d", p.cfg.MR), err)
		}
		for _, n := range ns {
			if report.IsSticky(n.Body, p.o.StickyID) && id.owns(n) {
				found = n
				break
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	secs := make([]report.Section, len(sections))
	for i, s := range sections {
		if s.URL == "" {
			s.URL = p.cfg.JobURL
		}
		secs[i] = s
	}
	if found == nil {
		body := report.MergeSticky("", secs, p.o.StickyID, report.GitLabNoteLimit)
		if _, _, err := p.api.Notes.CreateMergeRequestNote(p.cfg.Project, p.cfg.MR, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx)); err != nil {
			return p.apiError(fmt.Sprintf("comment on merge request !%d", p.cfg.MR), err)
		}
		return nil
	}
	body := report.MergeSticky(found.Body, secs, p.o.StickyID, report.GitLabNoteLimit)
	if body == found.Body {
		return nil
	}
	if _, _, err := p.api.Notes.UpdateMergeRequestNote(p.cfg.Project, p.cfg.MR, found.ID, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx)); err != nil {
		return p.apiError("edit lockstep's note", err)
	}
	return nil
}

// status sets the commit status lockstep/<stage> on the running pipeline.
func (p *Publisher) status(ctx context.Context, s report.Status) error {
	if p.cfg.SHA == "" {
		return fmt.Errorf("GitLab: no commit for the status (CI_COMMIT_SHA is empty): %w", report.ErrContext)
	}
	opt := &gl.SetCommitStatusOptions{
		State:       statusState(s.State),
		Name:        gl.Ptr("lockstep/" + string(s.Stage)),
		Description: gl.Ptr(report.Truncate(s.Description, report.DescriptionLimit)),
	}
	target := s.TargetURL
	if target == "" {
		target = p.cfg.JobURL
	}
	if target != "" && len(target) <= targetURLLimit {
		opt.TargetURL = gl.Ptr(target)
	}
	if p.cfg.Ref != "" {
		opt.Ref = gl.Ptr(p.cfg.Ref)
	}
	if p.cfg.PipelineID != 0 {
		opt.PipelineID = gl.Ptr(p.cfg.PipelineID)
	}
	_, _, err := p.api.Commits.SetCommitStatus(p.cfg.Project, p.cfg.SHA, opt, gl.WithContext(ctx))
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusBadRequest && strings.Contains(string(er.Body), "Cannot transition status") {
		return nil // already in that state: GitLab refuses the same state twice
	}
	if err != nil {
		return p.apiError("set the status lockstep/"+string(s.Stage), err)
	}
	return nil
}

func statusState(s report.State) gl.BuildStateValue {
	switch s {
	case report.StateRunning:
		return gl.Running
	case report.StateSuccess:
		return gl.Success
	case report.StateFailure, report.StateError:
		return gl.Failed
	}
	return gl.Pending
}

// jobDeployment is the id StartDeployment returns when the job's own
// environment is the deployment record.
const jobDeployment = "job"

// StartDeployment records a running deployment of d.Ref to d.Environment.
// A job that starts that environment (`environment: production`) is
// GitLab's deployment record already, and GitLab moves its status with the
// job's: then nothing is created, and the id returned makes
// SetDeploymentState a no-op.
func (p *Publisher) StartDeployment(ctx context.Context, d report.Deployment) (string, error) {
	if p.cfg.Environment == d.Environment && (p.cfg.EnvironmentAction == "" || p.cfg.EnvironmentAction == "start") {
		return jobDeployment, nil
	}
	if p.cfg.Token == "" {
		return "", fmt.Errorf("GitLab: create a deployment: %w", report.ErrNoToken)
	}
	sha := d.Ref
	if sha == "" {
		sha = p.cfg.SHA
	}
	ref := p.cfg.Ref
	if ref == "" {
		ref = sha
	}
	opt := &gl.CreateProjectDeploymentOptions{
		Environment: gl.Ptr(d.Environment), SHA: gl.Ptr(sha), Ref: gl.Ptr(ref), Tag: gl.Ptr(false),
		Status: gl.Ptr(gl.DeploymentStatusRunning),
	}
	dep, _, err := p.api.Deployments.CreateProjectDeployment(p.cfg.Project, opt, gl.WithContext(ctx))
	if err != nil {
		return "", p.apiError("create a deployment to "+d.Environment, err)
	}
	return strconv.FormatInt(dep.ID, 10), nil
}

// SetDeploymentState moves a deployment. GitLab has no per-deployment
// "inactive" or "queued": those are no-ops.
func (p *Publisher) SetDeploymentState(ctx context.Context, id string, s report.DeploymentState, description, logURL string) error {
	if id == jobDeployment {
		return nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("GitLab: deployment id %q: not a number", id)
	}
	var st gl.DeploymentStatusValue
	switch s {
	case report.DeployInProgress:
		st = gl.DeploymentStatusRunning
	case report.DeploySuccess:
		st = gl.DeploymentStatusSuccess
	case report.DeployFailure, report.DeployError:
		st = gl.DeploymentStatusFailed
	default:
		return nil
	}
	if _, _, err := p.api.Deployments.UpdateProjectDeployment(p.cfg.Project, n, &gl.UpdateProjectDeploymentOptions{Status: gl.Ptr(st)}, gl.WithContext(ctx)); err != nil {
		return p.apiError("set deployment "+id+" "+string(st), err)
	}
	return nil
}

// dotenv writes the outputs as KEY=value lines (dotenv report artifacts
// take single-line values).
func (p *Publisher) dotenv(out report.Outputs) error {
	if p.o.Dotenv == "" || len(out) == 0 {
		return nil
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		name := strings.ToUpper(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '_'
		}, k))
		fmt.Fprintf(&b, "LOCKSTEP_%s=%s\n", name, strings.Join(strings.Fields(out[k]), " "))
	}
	if err := os.WriteFile(p.o.Dotenv, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("GitLab: write the outputs: %w", err)
	}
	return nil
}

// jobTokenHint says what to do when CI_JOB_TOKEN was all there was.
const jobTokenHint = "CI_JOB_TOKEN may not use the merge request and commit status APIs: set GITLAB_TOKEN to a project access token with the api scope and Developer access"

// apiError names what failed and classifies it with report's sentinels.
func (p *Publisher) apiError(what string, err error) error {
	if what != "" {
		what = "GitLab: " + what
	} else {
		what = "GitLab"
	}
	var er *gl.ErrorResponse
	switch {
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		msg := message(er)
		switch {
		case p.cfg.JobToken && (code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusNotFound):
			// GitLab answers a job token on an endpoint it may not use as
			// if there were no token at all (401); the runner's token is
			// never the one that is wrong.
			return &apiErr{what, msg + " (" + jobTokenHint + ")", report.ErrPermission}
		case code == http.StatusUnauthorized:
			return &apiErr{what, msg + " (the token is invalid or expired)", report.ErrToken}
		case code == http.StatusForbidden, code == http.StatusNotFound:
			return &apiErr{what, msg + " (the token needs the api scope and Developer access)", report.ErrPermission}
		}
		return &apiErr{what, msg, report.ErrUnavailable}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiErr{what, err.Error(), err}
	}
	return &apiErr{what, err.Error(), report.ErrUnavailable}
}

// message is the status and GitLab's own message ("403 Forbidden"), read
// from the body rather than client-go's flattened rendering of it.
func message(er *gl.ErrorResponse) string {
	code := strconv.Itoa(er.Response.StatusCode)
	var body struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
	}
	text := ""
	if json.Unmarshal(er.Body, &body) == nil {
		switch m := body.Message.(type) {
		case string:
			text = m
		case nil:
			text = body.Error
		default:
			b, _ := json.Marshal(m)
			text = string(b)
		}
	}
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), code))
	if text == "" {
		text = http.StatusText(er.Response.StatusCode)
	}
	return report.Truncate(code+" "+text, 300)
}

type apiErr struct {
	what, detail string
	kind         error
}

func (e *apiErr) Error() string { return e.what + ": " + e.detail }
func (e *apiErr) Unwrap() error { return e.kind }
