package main

// Reporting: where a command's findings, sections, statuses and outputs go
// (GitHub, GitLab, local markdown files, or nowhere).
//
// A command that reports does two things:
//
//	addReportFlags(cmd, g)                      // --report, --report-required, --filter, --report-dir
//	...
//	if err := publishReport(ctx, e, g, &report.Report{
//		Sections: []report.Section{{Stage: report.StageGate, State: report.StateSuccess, Summary: "open"}},
//		Statuses: []report.Status{{Stage: report.StageGate, State: report.StateSuccess, Description: "open"}},
//		Outputs:  report.Outputs{"open": "true"},
//	}); err != nil {
//		return err
//	}
//
// publishReport returns an error only when --report-required is set and
// reporting failed (exit 4), or for a bad --report-dir (exit 2); otherwise
// it prints one line saying why reporting was skipped and returns nil, so a
// command's exit code is the same with and without a token. A command that
// deploys gets a report.Deployer from newDeployer.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/report"
	"github.com/lockstep-dev/lockstep/report/diff"
	"github.com/lockstep-dev/lockstep/report/github"
	"github.com/lockstep-dev/lockstep/report/gitlab"
	"github.com/lockstep-dev/lockstep/report/local"
	"github.com/lockstep-dev/lockstep/report/retry"
)

// Report modes of --report.
const (
	reportAuto   = "auto"
	reportGitHub = "github"
	reportGitLab = "gitlab"
	reportLocal  = "local"
	reportNone   = "none"
)

var reportModes = []string{reportAuto, reportGitHub, reportGitLab, reportLocal, reportNone}

// defaultReportDir is where --report local writes without --report-dir.
const defaultReportDir = "lockstep-report"

// reportOptions are the reporting flags. Each falls back to an
// environment variable when not given (LOCKSTEP_REPORT,
// LOCKSTEP_REPORT_REQUIRED, LOCKSTEP_FILTER, LOCKSTEP_REPORT_DIR), so a CI
// template can set them once for every command.
type reportOptions struct {
	mode     string
	required bool
	filter   string
	dir      string
	// set records the flags given on the command line.
	set map[string]bool
}

// resolved returns the options with the environment's values for the
// flags not given.
func (o reportOptions) resolved(e *env) reportOptions {
	env := func(flag, key string, dst *string) {
		if !o.set[flag] {
			if v := strings.TrimSpace(e.getenv(key)); v != "" {
				*dst = v
			}
		}
	}
	env("report", "LOCKSTEP_REPORT", &o.mode)
	env("filter", "LOCKSTEP_FILTER", &o.filter)
	env("report-dir", "LOCKSTEP_REPORT_DIR", &o.dir)
	if !o.set["report-required"] {
		switch strings.ToLower(strings.TrimSpace(e.getenv("LOCKSTEP_REPORT_REQUIRED"))) {
		case "true", "1", "yes":
			o.required = true
		}
	}
	return o
}

// target is where the options send a report: the mode, with auto
// resolved from the environment (GitHub Actions, GitLab CI, else none).
func (o reportOptions) target(e *env) string {
	if o.mode != reportAuto && o.mode != "" {
		return o.mode
	}
	switch {
	case github.Detected(e.getenv):
		return reportGitHub
	case gitlab.Detected(e.getenv):
		return reportGitLab
	}
	return reportNone
}

// addReportFlags adds the reporting flags to c, stored in g.report, and
// checks them before c runs (a bad value is exit 2 before any work).
func addReportFlags(c *cobra.Command, g *globals) {
	f := c.Flags()
	f.StringVar(&g.report.mode, "report", reportAuto, "where to report: auto (GitHub Actions or GitLab CI when detected, else nowhere), github, gitlab, local (markdown files in --report-dir) or none")
	f.BoolVar(&g.report.required, "report-required", false, "exit 4 when reporting fails (missing or rejected token, API failure) instead of printing a warning")
	f.StringVar(&g.report.filter, "filter", string(diff.ModeAdded), "which findings become review comments: added (lines the change adds), diff_context (lines shown in the diff), file (anywhere in a changed file) or nofilter")
	f.StringVar(&g.report.dir, "report-dir", "", "directory for --report local (default "+defaultReportDir+"); on GitLab, outputs are also written to DIR/lockstep.env")
	prev := c.PreRunE
	c.PreRunE = func(cmd *cobra.Command, args []string) error {
		g.report.set = map[string]bool{}
		for _, name := range []string{"report", "report-required", "filter", "report-dir"} {
			g.report.set[name] = cmd.Flags().Changed(name)
		}
		if err := g.report.validate(); err != nil {
			return err
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}

func (o *reportOptions) validate() error {
	if o.mode == "" {
		o.mode = reportAuto
	}
	ok := false
	for _, m := range reportModes {
		ok = ok || o.mode == m
	}
	if !ok {
		return fault.Errorf(fault.Usage, "--report (or LOCKSTEP_REPORT) %q: want one of %s", o.mode, strings.Join(reportModes, ", "))
	}
	if _, err := diff.ParseMode(o.filter); err != nil {
		return fault.Errorf(fault.Usage, "--filter (or LOCKSTEP_FILTER): %v", err)
	}
	return nil
}

// publishReport puts r where --report says, for any command: the GitHub
// pull request (review comments, the sticky comment, statuses, annotations,
// job summary, outputs), the GitLab merge request (threads, the sticky note,
// statuses, dotenv outputs), markdown files, or nowhere. See the top of this
// file for how a command uses it and what errors mean.
func publishReport(ctx context.Context, e *env, g *globals, r *report.Report) error {
	return publish(ctx, e, g, "", func() *report.Report { return r })
}

// reportTarget resolves the reporting options against the environment and
// returns them with where they send a report (reportNone: nowhere, and no
// reporting work is to be done).
func reportTarget(e *env, g *globals) (reportOptions, string, error) {
	o := g.report.resolved(e)
	if err := o.validate(); err != nil {
		return o, "", err
	}
	return o, o.target(e), nil
}

// publish is publishReport with the git ref the change is compared against
// (lint's --since), for the local diff, and the report built only when it
// goes somewhere.
func publish(ctx context.Context, e *env, g *globals, since string, build func() *report.Report) error {
	o, target, err := reportTarget(e, g)
	if err != nil || target == reportNone {
		return err
	}
	p, err := newPublisher(ctx, e, &o, since)
	if err != nil || p == nil {
		return reportOutcome(e, &o, err)
	}
	err = p.Publish(ctx, redactReport(e, build()))
	if lp, ok := p.(*local.Publisher); ok {
		if err != nil {
			return fault.Errorf(fault.Usage, "--report local: %v", err)
		}
		fmt.Fprintf(e.stderr, "lockstep: report written to %s\n", strings.Join(relPaths(e, lp.Files()), ", "))
		return nil
	}
	return reportOutcome(e, &o, err)
}

// newDeployer returns the deployment recorder --report selects, or nil when
// reporting is off (or the platform cannot be used: the reason is printed,
// or returned under --report-required).
func newDeployer(ctx context.Context, e *env, g *globals) (report.Deployer, error) {
	o, target, err := reportTarget(e, g)
	if err != nil || target == reportNone {
		return nil, err
	}
	p, err := newPublisher(ctx, e, &o, "")
	if err != nil || p == nil {
		return nil, reportOutcome(e, &o, err)
	}
	d, _ := p.(report.Deployer)
	return d, nil
}

// newPublisher builds the writer for the mode; nil for auto outside CI.
func newPublisher(ctx context.Context, e *env, o *reportOptions, since string) (report.Publisher, error) {
	mode := o.target(e)
	filter, _ := diff.ParseMode(o.filter)
	// Whatever the writers log or print passes through redaction: an API
	// may echo a token in an error message.
	safe := *e
	safe.stderr = redactWriter{e, e.stderr}
	safe.stdout = redactWriter{e, e.stdout}
	log := safe.logger()
	switch mode {
	case reportGitHub:
		cfg, err := github.FromEnv(e.getenv, func(p string) ([]byte, error) { return os.ReadFile(e.abs(p)) })
		if err != nil {
			return nil, fmt.Errorf("GitHub: %w", err)
		}
		base := since
		if base == "" {
			base = cfg.BaseSHA
		}
		return github.New(cfg, github.Options{
			HTTPClient: reportHTTPClient(&safe),
			Filter:     filter,
			LocalDiff:  localDiff(e, base),
			Getenv:     e.getenv,
			Stdout:     safe.stdout,
			UserAgent:  "lockstep/" + version,
			Logger:     log,
		})
	case reportGitLab:
		cfg, err := gitlab.FromEnv(e.getenv)
		if err != nil {
			return nil, fmt.Errorf("GitLab: %w", err)
		}
		base := since
		if base == "" {
			base = cfg.BaseSHA
		}
		var dotenv string
		if o.dir != "" {
			if err := os.MkdirAll(e.abs(o.dir), 0o755); err != nil {
				return nil, fault.Errorf(fault.Usage, "--report-dir %s: %v", o.dir, unwrapPathErr(err))
			}
			dotenv = filepath.Join(e.abs(o.dir), "lockstep.env")
		}
		return gitlab.New(cfg, gitlab.Options{
			HTTPClient: reportHTTPClient(&safe),
			Filter:     filter,
			LocalDiff:  localDiff(e, base),
			Dotenv:     dotenv,
			Logger:     log,
		})
	case reportLocal:
		dir := o.dir
		if dir == "" {
			dir = defaultReportDir
		}
		var d *diff.Diff
		if since != "" {
			var err error
			if d, err = gitDiff(ctx, e, since); err != nil {
				fmt.Fprintf(e.stderr, "lockstep: report: no diff against %s (%v): every finding is shown as a comment\n", since, err)
				d = nil
			}
		}
		return local.New(e.abs(dir), local.Options{Diff: d, Filter: filter, Now: e.now}), nil
	}
	return nil, nil
}

// reportHTTPClient retries 5xx and rate limits, bounded; one chain of
// attempts may take at most two minutes.
func reportHTTPClient(e *env) *http.Client {
	return retry.New(nil, e.logger()).Client(2 * time.Minute)
}

// reportOutcome turns a publisher's error into the one line the user reads
// and, under --report-required, an exit code: 4 for token and API
// problems, 2 for an incomplete CI environment.
func reportOutcome(e *env, o *reportOptions, err error) error {
	if err == nil {
		return nil
	}
	msg := redactSecrets(e, err.Error())
	var n *report.Notice
	if errors.As(err, &n) {
		fmt.Fprintf(e.stderr, "lockstep: report: %s\n", msg)
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind == fault.Usage {
		return err
	}
	if o.required {
		kind := fault.Unavailable
		if errors.Is(err, report.ErrContext) {
			kind = fault.Usage
		}
		return fault.Errorf(kind, "reporting failed: %s", msg)
	}
	fmt.Fprintf(e.stderr, "lockstep: warning: reporting skipped: %s (with --report-required this fails the job)\n", msg)
	return nil
}

// redactReport returns r with redactSecrets applied to every text it
// carries: a command's error in a section (a database that refused a
// password, an API that echoed a token) must not reach a comment.
func redactReport(e *env, r *report.Report) *report.Report {
	c := *r
	red := func(s string) string { return redactSecrets(e, s) }
	c.Summary = red(c.Summary)
	c.Annotations = make([]report.Annotation, len(r.Annotations))
	for i, a := range r.Annotations {
		a.Title, a.Body, a.Suggestion = red(a.Title), red(a.Body), red(a.Suggestion)
		c.Annotations[i] = a
	}
	c.Sections = make([]report.Section, len(r.Sections))
	for i, s := range r.Sections {
		s.Summary, s.Markdown = red(s.Summary), red(s.Markdown)
		c.Sections[i] = s
	}
	c.Statuses = make([]report.Status, len(r.Statuses))
	for i, s := range r.Statuses {
		s.Description = red(s.Description)
		c.Statuses[i] = s
	}
	if r.Outputs != nil {
		c.Outputs = report.Outputs{}
		for k, v := range r.Outputs {
			c.Outputs[k] = red(v)
		}
	}
	return &c
}

// redactWriter writes through redactSecrets.
type redactWriter struct {
	e *env
	w io.Writer
}

func (r redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, redactSecrets(r.e, string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redactSecrets replaces every token the environment holds, and the
// password of LOCKSTEP_DATABASE_URL, with ***.
func redactSecrets(e *env, s string) string {
	for _, k := range []string{"GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN"} {
		if v := strings.TrimSpace(e.getenv(k)); len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	if u, err := url.Parse(strings.TrimSpace(e.getenv("LOCKSTEP_DATABASE_URL"))); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 {
			s = strings.ReplaceAll(s, pw, "***")
			s = strings.ReplaceAll(s, url.QueryEscape(pw), "***")
		}
	}
	return s
}

// localDiff is the fallback diff for the platforms: git, against base.
func localDiff(e *env, base string) func(context.Context) (*diff.Diff, error) {
	if base == "" {
		return nil
	}
	return func(ctx context.Context) (*diff.Diff, error) { return gitDiff(ctx, e, base) }
}

// gitDiff is the change since base in the working tree, untracked files
// (not ignored) counted as added.
func gitDiff(ctx context.Context, e *env, base string) (*diff.Diff, error) {
	if _, err := git(ctx, e, "rev-parse", "--verify", "--quiet", base+"^{commit}"); err != nil {
		return nil, fmt.Errorf("git: %s is not a commit here (fetch it first)", base)
	}
	out, err := git(ctx, e, "diff", "--no-color", "--no-ext-diff", "-M", "--src-prefix=a/", "--dst-prefix=b/", base, "--")
	if err != nil {
		return nil, fmt.Errorf("git diff %s: %s", base, firstLine(err.Error()))
	}
	d, err := diff.Parse([]byte(out))
	if err != nil {
		return nil, err
	}
	top, err := git(ctx, e, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	untracked, err := git(ctx, e, "ls-files", "--others", "--exclude-standard", "--full-name", "-z", ":/")
	if err != nil {
		return nil, err
	}
	for _, p := range strings.Split(untracked, "\x00") {
		if p == "" || d.File(p) != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(strings.TrimSpace(top), p))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		patch := fmt.Sprintf("@@ -0,0 +1,%d @@\n+%s\n", len(lines), strings.Join(lines, "\n+"))
		if err := d.AddPatch("", p, patch); err != nil {
			continue
		}
	}
	return d, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// repoPath turns a path as the user gave it into one relative to the
// repository root with forward slashes, as review comments name files. The
// root is git's top level, else $GITHUB_WORKSPACE or $CI_PROJECT_DIR, else
// the working directory.
type repoPath struct {
	root string
}

func newRepoPath(ctx context.Context, e *env) repoPath {
	root := ""
	if out, err := git(ctx, e, "rev-parse", "--show-toplevel"); err == nil {
		root = strings.TrimSpace(out)
	}
	for _, k := range []string{"GITHUB_WORKSPACE", "CI_PROJECT_DIR"} {
		if root == "" {
			root = e.getenv(k)
		}
	}
	if root == "" {
		root = e.abs(".")
	}
	return repoPath{root: resolveDir(root)}
}

// codeQualityPaths returns what lint's gitlab format names files with:
// paths relative to $CI_PROJECT_DIR (the checkout GitLab matches Code
// Quality paths against), else to the repository root as newRepoPath finds
// it. The root is looked up once, when the first path is asked for, so
// the other formats cost nothing.
func codeQualityPaths(ctx context.Context, e *env) func(string) string {
	var once sync.Once
	var rp repoPath
	return func(p string) string {
		once.Do(func() {
			if dir := strings.TrimSpace(e.getenv("CI_PROJECT_DIR")); dir != "" {
				rp = repoPath{root: resolveDir(dir)}
				return
			}
			rp = newRepoPath(ctx, e)
		})
		return rp.rel(p, e)
	}
}

// resolveDir makes dir absolute with its symbolic links resolved, as
// repoPath.rel compares against.
func resolveDir(dir string) string {
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	if r, err := filepath.Abs(dir); err == nil {
		dir = r
	}
	return dir
}

func (r repoPath) rel(p string, e *env) string {
	abs, err := filepath.Abs(e.abs(p))
	if err != nil {
		return filepath.ToSlash(p)
	}
	if a, err := filepath.EvalSymlinks(abs); err == nil {
		abs = a
	}
	rel, err := filepath.Rel(r.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// relPaths shortens absolute paths to the working directory, for messages.
func relPaths(e *env, paths []string) []string {
	wd, _ := filepath.Abs(e.abs("."))
	out := make([]string, len(paths))
	for i, p := range paths {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			p = r
		}
		out[i] = p
	}
	return out
}
