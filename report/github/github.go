// Package github puts lockstep's reports on GitHub: one pull request review
// per run with inline comments on the lines the diff touches, one sticky
// comment with a section per stage, a commit status per stage, deployments
// and their statuses, and, inside Actions, annotations, the job summary and
// step outputs (through sethvargo/go-githubactions). It talks to the REST
// API with google/go-github; every request goes through report/retry.
package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	gh "github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/lockstep-dev/lockstep/report"
	"github.com/lockstep-dev/lockstep/report/diff"
)

// MaxComments is how many comments one run posts at most (one review takes
// at most this many, to stay clear of GitHub's secondary rate limits); the
// rest are listed in the review's body.
const MaxComments = 30

// Options are the writer's dependencies.
type Options struct {
	// HTTPClient sends the API requests (wrap its transport with
	// report/retry); nil: a retrying client.
	HTTPClient *http.Client
	// Filter decides which findings become comments; "" is diff.ModeAdded.
	Filter diff.Mode
	// StickyID tells several lockstep setups in one repository apart.
	StickyID string
	// Login is the account the token acts as, whose comments lockstep may
	// edit. "": asked of the API (GET /user); for an Actions or App token
	// (which cannot ask) any bot account's comment with lockstep's marker.
	Login string
	// LocalDiff gives the pull request's diff when the API cannot (nil: no
	// fallback).
	LocalDiff func(ctx context.Context) (*diff.Diff, error)
	// Getenv and Stdout are the runner's environment and standard output,
	// for workflow commands, the step summary and outputs.
	Getenv func(string) string
	Stdout io.Writer
	// UserAgent names the client; "" is "lockstep".
	UserAgent string
	Logger    *slog.Logger
}

// Publisher writes reports to one repository and, in a pull request, to it.
type Publisher struct {
	cfg    Config
	o      Options
	api    *gh.Client
	action *githubactions.Action
	log    *slog.Logger

	mu       sync.Mutex
	identity *identity
	envURLs  map[string]string // deployment id → environment URL
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
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := o.HTTPClient
	if hc == nil {
		return nil, errors.New("github: no HTTP client")
	}
	api := gh.NewClient(hc)
	if cfg.Token != "" {
		api = api.WithAuthToken(cfg.Token.Reveal())
	}
	base := cfg.APIURL
	if base == "" {
		base = "https://api.github.com"
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + "/")
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q: not a URL: %w", cfg.APIURL, report.ErrContext)
	}
	api.BaseURL = u
	api.UserAgent = "lockstep"
	if o.UserAgent != "" {
		api.UserAgent = o.UserAgent
	}
	action := githubactions.New(githubactions.WithGetenv(o.Getenv), githubactions.WithWriter(o.Stdout))
	return &Publisher{cfg: cfg, o: o, api: api, action: action, log: log, envURLs: map[string]string{}}, nil
}

// Publish posts the report. The runner-side parts (annotations for what
// was not posted as a comment, the job summary, outputs) are written in
// every case; the API parts need a token with write access. A read-only
// token (fork, Dependabot) gives a *report.Notice; other problems an error
// wrapping one of report's sentinels.
func (p *Publisher) Publish(ctx context.Context, r *report.Report) error {
	covered := make([]bool, len(r.Annotations))
	var apiErr error
	switch {
	case p.cfg.ReadOnly:
		apiErr = &report.Notice{Msg: p.cfg.ReadOnlyWhy + ": the token is read-only, so findings go to annotations and the job summary only"}
	case p.cfg.Token == "":
		apiErr = fmt.Errorf("GitHub: %w (set GITHUB_TOKEN or the action's github-token input)", report.ErrNoToken)
	default:
		apiErr = p.publishAPI(ctx, r, covered)
	}
	if err := p.runnerSide(r, covered); err != nil && apiErr == nil {
		apiErr = err
	}
	return apiErr
}

func (p *Publisher) publishAPI(ctx context.Context, r *report.Report, covered []bool) error {
	if p.cfg.PR > 0 {
		if r.ReviewStage != "" {
			if err := p.review(ctx, r.ReviewStage, r.Annotations, covered); err != nil {
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

// identity is the account whose comments lockstep may edit.
type identity struct {
	login string // "": any bot
}

func (id *identity) owns(u *gh.User) bool {
	if id.login != "" {
		return strings.EqualFold(u.GetLogin(), id.login)
	}
	return u.GetType() == "Bot"
}

func (p *Publisher) whoAmI(ctx context.Context) (*identity, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.identity != nil {
		return p.identity, nil
	}
	id := &identity{login: p.o.Login}
	// Actions and App installation tokens (ghs_) cannot read /user; their
	// comments are by a bot account.
	if id.login == "" && !strings.HasPrefix(p.cfg.Token.Reveal(), "ghs_") {
		u, _, err := p.api.Users.Get(ctx, "")
		switch {
		case err == nil:
			id.login = u.GetLogin()
		case statusOf(err) == http.StatusForbidden:
			// an integration token: fall back to bots
		default:
			return nil, p.apiError("read the token's user", err)
		}
	}
	p.identity = id
	return id, nil
}

// prDiff reads the pull request's files from the API, or else the local diff.
func (p *Publisher) prDiff(ctx context.Context) (*diff.Diff, error) {
	d := diff.New()
	opt := &gh.ListOptions{PerPage: 100}
	for {
		files, resp, err := p.api.PullRequests.ListFiles(ctx, p.cfg.Owner, p.cfg.Repo, p.cfg.PR, opt)
		if err != nil {
			apiErr := p.apiError(fmt.Sprintf("list the files of pull request #%d", p.cfg.PR), err)
			if p.o.LocalDiff != nil && !errors.Is(apiErr, report.ErrToken) {
				local, lerr := p.o.LocalDiff(ctx)
				if lerr == nil {
					p.log.Info("reading the pull request's files failed; using the local git diff", "err", apiErr)
					return local, nil
				}
				p.log.Info("no local git diff either", "err", lerr)
			}
			return nil, apiErr
		}
		for _, f := range files {
			oldPath, newPath := f.GetPreviousFilename(), f.GetFilename()
			switch f.GetStatus() {
			case "added":
				oldPath = ""
			case "removed":
				oldPath, newPath = newPath, ""
			default:
				if oldPath == "" {
					oldPath = newPath
				}
			}
			if err := d.AddPatch(oldPath, newPath, f.GetPatch()); err != nil {
				p.log.Warn("unreadable patch; its file gets no inline comments", "file", newPath, "err", err)
				d.AddPatch(oldPath, newPath, "")
			}
		}
		if resp.NextPage == 0 {
			return d, nil
		}
		opt.Page = resp.NextPage
	}
}

// posted is a review comment lockstep wrote earlier.
type posted struct {
	c        *gh.PullRequestComment
	fp       string
	outdated bool
	replies  int
}

// review posts one review with the new inline comments, file-level
// comments for findings outside the hunks (file and nofilter modes), and
// deletes or marks outdated the comments whose finding is gone.
func (p *Publisher) review(ctx context.Context, stage report.Stage, anns []report.Annotation, covered []bool) error {
	id, err := p.whoAmI(ctx)
	if err != nil {
		return err
	}
	var d *diff.Diff
	if len(anns) > 0 {
		if d, err = p.prDiff(ctx); err != nil {
			return err
		}
	}
	existing, err := p.reviewComments(ctx, id, stage)
	if err != nil {
		return err
	}
	live := map[string]*posted{}
	// marked: comments lockstep marked outdated (kept for their replies)
	// that GitHub still shows on the head's diff; a finding that comes
	// back there gets its comment back, thread and all.
	marked := map[string]*posted{}
	for _, e := range existing {
		switch {
		case !e.outdated:
			live[e.fp] = e
		case e.c.Line != nil:
			marked[e.fp] = e
		}
	}
	current := map[string]bool{}
	var drafts []*gh.DraftReviewComment
	type fileComment struct {
		i          int
		path, body string
	}
	var inReview []int
	var onFile []fileComment
	var overflow []report.Annotation
	for i, a := range anns {
		first, last := a.Lines()
		pl := d.Place(a.Path, first, last, p.o.Filter)
		if pl.Where == diff.Nowhere {
			continue
		}
		fp := a.Fingerprint()
		if current[fp] {
			covered[i] = true // the same finding twice: one comment
			continue
		}
		current[fp] = true
		if live[fp] != nil {
			covered[i] = true
			continue
		}
		opts := report.CommentOptions{Stage: stage}
		if pl.Whole && pl.Where == diff.Inline {
			opts.SuggestionFence = "suggestion"
		}
		body := report.Comment(a, opts)
		if e := marked[fp]; e != nil && pl.Where == diff.Inline && e.c.GetPath() == pl.Path && e.c.GetLine() == pl.EndLine {
			if _, _, err := p.api.PullRequests.EditComment(ctx, p.cfg.Owner, p.cfg.Repo, e.c.GetID(), &gh.PullRequestComment{Body: gh.String(body)}); err != nil {
				return p.apiError("reopen a review comment", err)
			}
			covered[i] = true
			continue
		}
		if len(drafts)+len(onFile) >= MaxComments {
			overflow = append(overflow, a)
			continue
		}
		if pl.Where == diff.OnFile {
			onFile = append(onFile, fileComment{i, pl.Path, body})
			continue
		}
		inReview = append(inReview, i)
		dc := &gh.DraftReviewComment{Path: gh.String(pl.Path), Line: gh.Int(pl.EndLine), Side: gh.String("RIGHT"), Body: gh.String(body)}
		if pl.StartLine < pl.EndLine {
			dc.StartLine, dc.StartSide = gh.Int(pl.StartLine), gh.String("RIGHT")
		}
		drafts = append(drafts, dc)
	}
	if len(drafts) > 0 || len(overflow) > 0 {
		if err := p.createReview(ctx, drafts, len(onFile), overflow); err != nil {
			return err
		}
		for _, i := range inReview {
			covered[i] = true
		}
	}
	for _, fc := range onFile {
		c := &gh.PullRequestComment{Body: gh.String(fc.body), CommitID: gh.String(p.cfg.HeadSHA), Path: gh.String(fc.path), SubjectType: gh.String("file")}
		if _, _, err := p.api.PullRequests.CreateComment(ctx, p.cfg.Owner, p.cfg.Repo, p.cfg.PR, c); err != nil {
			return p.apiError("comment on "+fc.path, err)
		}
		covered[fc.i] = true
	}
	// Findings that are gone: delete their comments, or, when someone
	// replied, say so in place.
	for _, e := range existing {
		if e.outdated || current[e.fp] {
			continue
		}
		if e.replies == 0 {
			if _, err := p.api.PullRequests.DeleteComment(ctx, p.cfg.Owner, p.cfg.Repo, e.c.GetID()); err != nil && statusOf(err) != http.StatusNotFound {
				return p.apiError("delete an outdated review comment", err)
			}
			continue
		}
		body := report.Outdated(e.c.GetBody(), p.cfg.HeadSHA)
		if _, _, err := p.api.PullRequests.EditComment(ctx, p.cfg.Owner, p.cfg.Repo, e.c.GetID(), &gh.PullRequestComment{Body: gh.String(body)}); err != nil {
			return p.apiError("mark a review comment outdated", err)
		}
	}
	return nil
}

func (p *Publisher) createReview(ctx context.Context, drafts []*gh.DraftReviewComment, onFile int, overflow []report.Annotation) error {
	n := len(drafts) + onFile
	body := fmt.Sprintf("**lockstep** found %s on the lines this pull request changes.", plural(n+len(overflow), "new finding"))
	if len(overflow) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n\n%s more not posted inline (at most %d comments per run); they are in the job summary and the annotations:\n\n", body, plural(len(overflow), "finding is", "findings are"), MaxComments)
		for _, a := range overflow {
			fmt.Fprintf(&b, "- `%s:%d` %s `%s`: %s\n", a.Path, a.Line, a.Level.Icon(), a.Rule, a.Title)
		}
		body = report.CutMarkdown(b.String(), report.GitHubCommentLimit-200)
	}
	req := &gh.PullRequestReviewRequest{CommitID: gh.String(p.cfg.HeadSHA), Event: gh.String("COMMENT"), Body: gh.String(body), Comments: drafts}
	_, _, err := p.api.PullRequests.CreateReview(ctx, p.cfg.Owner, p.cfg.Repo, p.cfg.PR, req)
	if err != nil && statusOf(err) == http.StatusUnprocessableEntity && len(drafts) > 0 {
		// A line GitHub does not see in its diff (a local diff that
		// differs): post the comments in the review's body instead.
		p.log.Warn("GitHub refused the inline comments; posting them in the review body", "err", err)
		var b strings.Builder
		b.WriteString(body + "\n\n")
		for _, d := range drafts {
			fmt.Fprintf(&b, "---\n**`%s:%d`**\n\n%s\n\n", d.GetPath(), d.GetLine(), d.GetBody())
		}
		req = &gh.PullRequestReviewRequest{CommitID: gh.String(p.cfg.HeadSHA), Event: gh.String("COMMENT"),
			Body: gh.String(report.CutMarkdown(b.String(), report.GitHubCommentLimit-200))}
		_, _, err = p.api.PullRequests.CreateReview(ctx, p.cfg.Owner, p.cfg.Repo, p.cfg.PR, req)
	}
	if err != nil {
		return p.apiError(fmt.Sprintf("post the review on pull request #%d", p.cfg.PR), err)
	}
	return nil
}

// reviewComments lists the pull request's review comments lockstep wrote,
// with how many replies each has.
func (p *Publisher) reviewComments(ctx context.Context, id *identity, stage report.Stage) ([]*posted, error) {
	var all []*gh.PullRequestComment
	opt := &gh.PullRequestListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := p.api.PullRequests.ListComments(ctx, p.cfg.Owner, p.cfg.Repo, p.cfg.PR, opt)
		if err != nil {
			return nil, p.apiError(fmt.Sprintf("list the review comments of pull request #%d", p.cfg.PR), err)
		}
		all = append(all, cs...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	replies := map[int64]int{}
	for _, c := range all {
		if c.InReplyTo != nil {
			replies[c.GetInReplyTo()]++
		}
	}
	var out []*posted
	for _, c := range all {
		if c.InReplyTo != nil || !id.owns(c.GetUser()) {
			continue
		}
		fp, st, outdated, ok := report.ParseMarker(c.GetBody())
		if !ok || st != stage {
			continue
		}
		out = append(out, &posted{c: c, fp: fp, outdated: outdated, replies: replies[c.GetID()]})
	}
	return out, nil
}

// sticky creates or edits the one comment with a section per stage.
func (p *Publisher) sticky(ctx context.Context, sections []report.Section) error {
	id, err := p.whoAmI(ctx)
	if err != nil {
		return err
	}
	var found *gh.IssueComment
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for found == nil {
		cs, resp, err := p.api.Issues.ListComments(ctx, p.cfg.Owner, p.cfg.Repo, p.cfg.PR, opt)
		if err != nil {
			return p.apiError(fmt.Sprintf("list the comments of pull request #%d", p.cfg.PR), err)
		}
		for _, c := range cs {
			if report.IsSticky(c.GetBody(), p.o.StickyID) && id.owns(c.GetUser()) {
				found = c
				break
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	secs := withURL(sections, p.cfg.RunURL)
	if found == nil {
		body := report.MergeSticky("", secs, p.o.StickyID, report.GitHubCommentLimit)
		if _, _, err := p.api.Issues.CreateComment(ctx, p.cfg.Owner, p.cfg.Repo, p.cfg.PR, &gh.IssueComment{Body: gh.String(body)}); err != nil {
			return p.apiError(fmt.Sprintf("comment on pull request #%d", p.cfg.PR), err)
		}
		return nil
	}
	body := report.MergeSticky(found.GetBody(), secs, p.o.StickyID, report.GitHubCommentLimit)
	if body == found.GetBody() {
		return nil
	}
	if _, _, err := p.api.Issues.EditComment(ctx, p.cfg.Owner, p.cfg.Repo, found.GetID(), &gh.IssueComment{Body: gh.String(body)}); err != nil {
		return p.apiError("edit lockstep's comment", err)
	}
	return nil
}

func withURL(secs []report.Section, url string) []report.Section {
	out := make([]report.Section, len(secs))
	for i, s := range secs {
		if s.URL == "" {
			s.URL = url
		}
		out[i] = s
	}
	return out
}

// status sets the commit status lockstep/<stage>.
func (p *Publisher) status(ctx context.Context, s report.Status) error {
	sha := p.cfg.statusSHA()
	if sha == "" {
		return fmt.Errorf("GitHub: no commit for the status (GITHUB_SHA is empty): %w", report.ErrContext)
	}
	target := s.TargetURL
	if target == "" {
		target = p.cfg.RunURL
	}
	st := &gh.RepoStatus{
		State:       gh.String(statusState(s.State)),
		Context:     gh.String("lockstep/" + string(s.Stage)),
		Description: gh.String(report.Truncate(s.Description, report.DescriptionLimit)),
	}
	if target != "" {
		st.TargetURL = gh.String(target)
	}
	if _, _, err := p.api.Repositories.CreateStatus(ctx, p.cfg.Owner, p.cfg.Repo, sha, st); err != nil {
		return p.apiError("set the status lockstep/"+string(s.Stage), err)
	}
	return nil
}

func statusState(s report.State) string {
	switch s {
	case report.StateSuccess:
		return "success"
	case report.StateFailure:
		return "failure"
	case report.StateError:
		return "error"
	}
	return "pending"
}

// StartDeployment creates a deployment of d.Ref to d.Environment. It never
// merges the default branch into the ref (auto_merge false) and does not
// wait for other statuses (required_contexts empty).
func (p *Publisher) StartDeployment(ctx context.Context, d report.Deployment) (string, error) {
	if p.cfg.Token == "" || p.cfg.ReadOnly {
		return "", fmt.Errorf("GitHub: create a deployment: %w", report.ErrNoToken)
	}
	ref := d.Ref
	if ref == "" {
		ref = p.cfg.SHA
	}
	payload := map[string]any{}
	for k, v := range d.Payload {
		payload[k] = v
	}
	if d.Release != "" {
		payload["lockstep_release"] = d.Release
	}
	req := &gh.DeploymentRequest{
		Ref:                   gh.String(ref),
		Task:                  gh.String("deploy"),
		AutoMerge:             gh.Bool(false),
		RequiredContexts:      &[]string{},
		Environment:           gh.String(d.Environment),
		Description:           gh.String(report.Truncate(d.Description, report.DescriptionLimit)),
		ProductionEnvironment: gh.Bool(d.Production),
		TransientEnvironment:  gh.Bool(false),
	}
	if len(payload) > 0 {
		req.Payload = payload
	}
	dep, _, err := p.api.Repositories.CreateDeployment(ctx, p.cfg.Owner, p.cfg.Repo, req)
	if err != nil {
		return "", p.apiError("create a deployment to "+d.Environment, err)
	}
	id := strconv.FormatInt(dep.GetID(), 10)
	p.mu.Lock()
	p.envURLs[id] = d.URL
	p.mu.Unlock()
	return id, nil
}

// SetDeploymentState posts a deployment status. A success marks the
// environment's earlier deployments inactive.
func (p *Publisher) SetDeploymentState(ctx context.Context, id string, s report.DeploymentState, description, logURL string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("GitHub: deployment id %q: not a number", id)
	}
	if logURL == "" {
		logURL = p.cfg.RunURL
	}
	req := &gh.DeploymentStatusRequest{
		State:       gh.String(string(s)),
		Description: gh.String(report.Truncate(description, report.DescriptionLimit)),
	}
	if logURL != "" {
		req.LogURL = gh.String(logURL)
	}
	p.mu.Lock()
	env := p.envURLs[id]
	p.mu.Unlock()
	if env != "" {
		req.EnvironmentURL = gh.String(env)
	}
	if s == report.DeploySuccess {
		req.AutoInactive = gh.Bool(true)
	}
	if _, _, err := p.api.Repositories.CreateDeploymentStatus(ctx, p.cfg.Owner, p.cfg.Repo, n, req); err != nil {
		return p.apiError("set deployment "+id+" "+string(s), err)
	}
	return nil
}

// apiError names what failed and classifies it with report's sentinels.
func (p *Publisher) apiError(what string, err error) error {
	if what != "" {
		what = "GitHub: " + what
	} else {
		what = "GitHub"
	}
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	switch {
	case errors.As(err, &rl):
		return &apiErr{what, fmt.Sprintf("rate limited until %s", rl.Rate.Reset.Format("15:04:05 MST")), report.ErrUnavailable}
	case errors.As(err, &abuse):
		return &apiErr{what, "secondary rate limit: " + abuse.Message, report.ErrUnavailable}
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		msg := fmt.Sprintf("%d %s", code, er.Message)
		switch {
		case code == http.StatusUnauthorized:
			return &apiErr{what, msg + " (the token is invalid or expired)", report.ErrToken}
		case code == http.StatusForbidden, code == http.StatusNotFound:
			return &apiErr{what, msg + " (the token needs contents: read, pull-requests: write, statuses: write; deployments: write to deploy)", report.ErrPermission}
		case code >= 500:
			return &apiErr{what, msg, report.ErrUnavailable}
		}
		return &apiErr{what, msg, report.ErrUnavailable}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiErr{what, err.Error(), err}
	}
	return &apiErr{what, scrubURL(err), report.ErrUnavailable}
}

type apiErr struct {
	what, detail string
	kind         error
}

func (e *apiErr) Error() string { return e.what + ": " + e.detail }
func (e *apiErr) Unwrap() error { return e.kind }

// scrubURL shortens a transport error (which names the whole URL) to its
// cause.
func scrubURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " " + ue.URL + ": " + ue.Err.Error()
	}
	return err.Error()
}

func statusOf(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return strconv.Itoa(n) + " " + many[0]
	}
	return strconv.Itoa(n) + " " + one + "s"
}

// sortByLevel orders annotations errors first, keeping file order within a level.
func sortByLevel(anns []report.Annotation) []int {
	idx := make([]int, len(anns))
	for i := range idx {
		idx[i] = i
	}
	rank := map[report.Level]int{report.LevelError: 0, report.LevelWarning: 1, report.LevelNotice: 2}
	sort.SliceStable(idx, func(a, b int) bool { return rank[anns[idx[a]].Level] < rank[anns[idx[b]].Level] })
	return idx
}
