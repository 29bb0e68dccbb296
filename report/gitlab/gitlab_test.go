package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/internal/apitest"
	"github.com/lockstep-dev/lockstep/report"
	"github.com/lockstep-dev/lockstep/report/diff"
)

const (
	token    = "glpat-s3cr3tT0kenValue"
	baseSHA  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	startSHA = "cccccccccccccccccccccccccccccccccccccccc"
	headSHA  = "dddddddddddddddddddddddddddddddddddddddd"
	jobURL   = "https://gitlab.example.com/g/p/-/jobs/31"
	mr       = "/api/v4/projects/42/merge_requests/5"
)

var versionsReply = apitest.JSON([]map[string]any{
	{"id": 2, "head_commit_sha": headSHA, "base_commit_sha": baseSHA, "start_commit_sha": startSHA, "state": "collected"},
	{"id": 1, "head_commit_sha": "old", "base_commit_sha": "old", "start_commit_sha": "old"},
})

// diffsReply: 001 changed in two hunks, 002 added, orders.sql renamed with an edit.
var diffsReply = apitest.JSON([]map[string]any{
	{"old_path": "migrations/001_users.up.sql", "new_path": "migrations/001_users.up.sql",
		"diff": "@@ -1,6 +1,6 @@\n -- users\n ALTER TABLE users ADD COLUMN c1 int;\n-ALTER TABLE users ADD COLUMN c2 int;\n+ALTER TABLE users ADD COLUMN c2 bigint;\n ALTER TABLE users ADD COLUMN c3 int;\n ALTER TABLE users ADD COLUMN c4 int;\n ALTER TABLE users ADD COLUMN c5 int;\n@@ -23,6 +23,7 @@ ALTER TABLE users ADD COLUMN c21 int;\n ALTER TABLE users ADD COLUMN c22 int;\n ALTER TABLE users ADD COLUMN c23 int;\n ALTER TABLE users ADD COLUMN c24 int;\n+ALTER TABLE users ALTER COLUMN c24 SET NOT NULL;\n ALTER TABLE users ADD COLUMN c25 int;\n ALTER TABLE users ADD COLUMN c26 int;\n ALTER TABLE users ADD COLUMN c27 int;\n"},
	{"old_path": "migrations/002_index.up.sql", "new_path": "migrations/002_index.up.sql", "new_file": true,
		"diff": "@@ -0,0 +1,3 @@\n+CREATE INDEX users_email ON users (email);\n+ALTER TABLE users\n+  ALTER COLUMN email SET NOT NULL;\n"},
	{"old_path": "db/orders.sql", "new_path": "db/orders_v2.sql", "renamed_file": true,
		"diff": "@@ -1,3 +1,3 @@\n CREATE TABLE orders (id bigint PRIMARY KEY);\n-CREATE INDEX orders_id ON orders (id);\n+CREATE INDEX CONCURRENTLY orders_id ON orders (id);\n -- end\n"},
})

var (
	annIndex = report.Annotation{Path: "migrations/002_index.up.sql", Line: 1, Level: report.LevelError, Rule: "create-index-non-concurrent",
		Title: "CREATE INDEX without CONCURRENTLY", Suggestion: "CREATE INDEX CONCURRENTLY users_email ON users (email);"}
	annNotNull = report.Annotation{Path: "migrations/002_index.up.sql", Line: 2, EndLine: 3, Level: report.LevelWarning, Rule: "set-not-null",
		Title: "SET NOT NULL scans users", Suggestion: "ALTER TABLE users\n  ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;"}
	// an unchanged line of a renamed file, diff_context mode: old and new line
	annContext = report.Annotation{Path: "db/orders_v2.sql", Line: 3, Level: report.LevelNotice, Rule: "hygiene", Title: "context line"}
	// shifted by the insert: new 27 is old 26
	annShifted = report.Annotation{Path: "migrations/001_users.up.sql", Line: 27, Level: report.LevelWarning, Rule: "add-column", Title: "shifted"}
	annGone    = report.Annotation{Path: "migrations/002_index.up.sql", Line: 1, Level: report.LevelError, Rule: "gone", Title: "fixed"}
)

func newPublisher(t *testing.T, srv *apitest.Server, mutate func(*Config, *Options)) *Publisher {
	t.Helper()
	cfg := Config{APIURL: srv.URL() + "/api/v4", Project: "42", MR: 5, BaseSHA: baseSHA, SHA: headSHA, Ref: "feature", PipelineID: 1234, JobURL: jobURL, Token: token}
	o := Options{HTTPClient: srv.Client(), Filter: diff.ModeDiffContext}
	if mutate != nil {
		mutate(&cfg, &o)
	}
	p, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func body(a report.Annotation, fence string) string {
	return report.Comment(a, report.CommentOptions{Stage: report.StageLint, SuggestionFence: fence})
}

func position(newPath, oldPath string, newLine, oldLine int) map[string]any {
	p := map[string]any{"position_type": "text", "base_sha": baseSHA, "start_sha": startSHA, "head_sha": headSHA,
		"old_path": oldPath, "new_path": newPath, "new_line": newLine}
	if oldLine > 0 {
		p["old_line"] = oldLine
	}
	return p
}

var lintSection = report.Section{Stage: report.StageLint, State: report.StateFailure, Summary: "1 error, 2 warnings", Markdown: "details"}

func lintReport() *report.Report {
	return &report.Report{
		Annotations: []report.Annotation{annIndex, annNotNull, annContext, annShifted},
		ReviewStage: report.StageLint,
		Sections:    []report.Section{lintSection},
		Statuses:    []report.Status{{Stage: report.StageLint, State: report.StateFailure, Description: "1 error, 2 warnings"}},
		Outputs:     report.Outputs{"findings": "4", "gate decision": "open\nnow"},
	}
}

func TestPublishTwiceMakesNoDuplicates(t *testing.T) {
	srv := apitest.New(t)
	dir := t.TempDir()
	dotenv := filepath.Join(dir, "lockstep.env")
	p := newPublisher(t, srv, func(c *Config, o *Options) { o.Dotenv = dotenv })
	me := map[string]any{"username": "lockstep-bot"}
	human := map[string]any{"username": "alice"}
	gone := body(annGone, "")
	sticky := report.MergeSticky("", []report.Section{{Stage: lintSection.Stage, State: lintSection.State, Summary: lintSection.Summary, Markdown: lintSection.Markdown, URL: jobURL}}, "", report.GitLabNoteLimit)
	threads := []map[string]any{
		{"id": "d-gone", "notes": []map[string]any{{"id": 1, "body": gone, "author": me, "resolvable": true}}},
		{"id": "d-human", "notes": []map[string]any{{"id": 2, "body": "copied " + gone, "author": human}}},
		{"id": "d-resolved", "notes": []map[string]any{{"id": 3, "body": body(report.Annotation{Path: "x", Line: 1, Rule: "r", Title: "t"}, ""), "author": me, "resolvable": true, "resolved": true}}},
	}
	newThreads := []map[string]any{
		{"body": body(annIndex, "suggestion:-0+0"), "position": position(annIndex.Path, annIndex.Path, 1, 0)},
		{"body": body(annNotNull, "suggestion:-0+1"), "position": position(annNotNull.Path, annNotNull.Path, 2, 0)},
		{"body": body(annContext, "suggestion:-0+0"), "position": position("db/orders_v2.sql", "db/orders.sql", 3, 3)},
		{"body": body(annShifted, "suggestion:-0+0"), "position": position(annShifted.Path, annShifted.Path, 27, 26)},
	}
	expectDiff := []apitest.Call{
		{Method: "GET", Path: mr + "/versions", Reply: versionsReply},
		{Method: "GET", Path: mr + "/diffs", Query: "per_page=100", Reply: diffsReply},
	}
	status := apitest.Call{Method: "POST", Path: "/api/v4/projects/42/statuses/" + headSHA, Body: apitest.JSON(map[string]any{
		"state": "failed", "name": "lockstep/lint", "description": "1 error, 2 warnings", "target_url": jobURL, "ref": "feature", "pipeline_id": 1234}), Status: 201, Reply: `{}`}

	srv.Expect(apitest.Call{Method: "GET", Path: "/api/v4/user", Reply: `{"id": 9, "username": "lockstep-bot"}`})
	srv.Expect(expectDiff...)
	srv.Expect(apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: apitest.JSON(threads)})
	for _, nt := range newThreads {
		srv.Expect(apitest.Call{Method: "POST", Path: mr + "/discussions", Body: apitest.JSON(nt), Status: 201, Reply: `{"id": "new"}`})
	}
	srv.Expect(
		apitest.Call{Method: "PUT", Path: mr + "/discussions/d-gone", Body: `{"resolved": true}`, Reply: `{"id": "d-gone"}`},
		apitest.Call{Method: "GET", Path: mr + "/notes", Query: "order_by=created_at&sort=asc&per_page=100", Reply: `[{"id": 70, "body": "a system note", "system": true, "author": {"username": "lockstep-bot"}}]`},
		apitest.Call{Method: "POST", Path: mr + "/notes", Body: apitest.JSON(map[string]any{"body": sticky}), Status: 201, Reply: `{"id": 71}`},
		status,
	)
	if err := p.Publish(context.Background(), lintReport()); err != nil {
		t.Fatalf("Publish = %v", err)
	}
	srv.Verify()
	env, _ := os.ReadFile(dotenv)
	if got, want := string(env), "LOCKSTEP_FINDINGS=4\nLOCKSTEP_GATE_DECISION=open now\n"; got != want {
		t.Errorf("dotenv = %q; want %q", got, want)
	}

	// Run 2: the threads and the note are there; nothing new is posted. A
	// status in the same state is refused by GitLab, and that is fine.
	var posted []map[string]any
	for i, nt := range newThreads {
		posted = append(posted, map[string]any{"id": "n" + string(rune('0'+i)), "notes": []map[string]any{{"id": 100 + i, "body": nt["body"], "author": me, "resolvable": true}}})
	}
	srv.Expect(expectDiff...)
	srv.Expect(
		apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: apitest.JSON(posted)},
		apitest.Call{Method: "GET", Path: mr + "/notes", Query: "order_by=created_at&sort=asc&per_page=100", Reply: apitest.JSON([]map[string]any{{"id": 71, "body": sticky, "author": me}})},
		apitest.Call{Method: status.Method, Path: status.Path, Body: status.Body, Status: 400, Reply: `{"message": "Cannot transition status via :drop from :failed (Reason(s): Status cannot transition via \"drop\")"}`},
	)
	if err := p.Publish(context.Background(), lintReport()); err != nil {
		t.Fatalf("second Publish = %v", err)
	}
	srv.Verify()

	// Run 3: gate edits the note in place.
	gate := report.Section{Stage: report.StageGate, State: report.StateFailure, Summary: "closed: freeze until Monday 08:00 UTC"}
	srv.Expect(
		apitest.Call{Method: "GET", Path: mr + "/notes", Query: "order_by=created_at&sort=asc&per_page=100", Reply: apitest.JSON([]map[string]any{{"id": 71, "body": sticky, "author": me}})},
		apitest.Call{Method: "PUT", Path: mr + "/notes/71", Body: apitest.JSON(map[string]any{
			"body": report.MergeSticky(sticky, []report.Section{{Stage: gate.Stage, State: gate.State, Summary: gate.Summary, URL: jobURL}}, "", report.GitLabNoteLimit)}), Reply: `{"id": 71}`},
	)
	if err := p.Publish(context.Background(), &report.Report{Sections: []report.Section{gate}}); err != nil {
		t.Fatalf("gate Publish = %v", err)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("PRIVATE-TOKEN") != token {
			t.Errorf("%s %s: PRIVATE-TOKEN = %q", r.Method, r.Path, r.Header.Get("PRIVATE-TOKEN"))
		}
	}
}

func TestJobTokenAndFallbacks(t *testing.T) {
	srv := apitest.New(t)
	local := diff.New()
	if err := local.AddPatch("", "migrations/002_index.up.sql", "@@ -0,0 +1,1 @@\n+CREATE INDEX users_email ON users (email);\n"); err != nil {
		t.Fatal(err)
	}
	p := newPublisher(t, srv, func(c *Config, o *Options) {
		c.Token, c.JobToken = "job-token-value", true
		o.Filter = diff.ModeAdded
		o.LocalDiff = func(context.Context) (*diff.Diff, error) { return local, nil }
	})
	fallback := map[string]any{"position_type": "text", "base_sha": baseSHA, "start_sha": baseSHA, "head_sha": headSHA,
		"old_path": annIndex.Path, "new_path": annIndex.Path, "new_line": 1}
	srv.Expect(
		// no GET /user: a job token cannot
		apitest.Call{Method: "GET", Path: mr + "/versions", Status: 403, Reply: `{"message": "403 Forbidden"}`},
		apitest.Call{Method: "GET", Path: mr + "/diffs", Query: "per_page=100", Status: 404, Reply: `{"message": "404 Not Found"}`},
		apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: mr + "/discussions", Body: apitest.JSON(map[string]any{"body": body(annIndex, "suggestion:-0+0"), "position": fallback}),
			// GitLab treats a job token on an endpoint it may not use as no token
			Status: 401, Reply: `{"message": "401 Unauthorized"}`},
	)
	err := p.Publish(context.Background(), &report.Report{Annotations: []report.Annotation{annIndex, annNotNull}, ReviewStage: report.StageLint})
	if !errors.Is(err, report.ErrPermission) || err.Error() != "GitLab: open a thread on migrations/002_index.up.sql:1: 401 Unauthorized (CI_JOB_TOKEN may not use the merge request and commit status APIs: set GITLAB_TOKEN to a project access token with the api scope and Developer access)" {
		t.Fatalf("Publish = %v; want a permission error with the job-token hint", err)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("JOB-TOKEN") != "job-token-value" || r.Header.Get("PRIVATE-TOKEN") != "" {
			t.Errorf("%s %s: headers %v; want JOB-TOKEN only", r.Method, r.Path, r.Header)
		}
	}
}

func TestErrors(t *testing.T) {
	srv := apitest.New(t)
	p := newPublisher(t, srv, nil)
	srv.Expect(apitest.Call{Method: "GET", Path: "/api/v4/user", Status: 401, Reply: `{"message": "401 Unauthorized"}`})
	err := p.Publish(context.Background(), lintReport())
	if !errors.Is(err, report.ErrToken) || err.Error() != "GitLab: read the token's user: 401 Unauthorized (the token is invalid or expired)" {
		t.Fatalf("Publish = %q", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Error("token in the error")
	}

	noTok := newPublisher(t, srv, func(c *Config, o *Options) { c.Token = "" })
	if err := noTok.Publish(context.Background(), lintReport()); !errors.Is(err, report.ErrNoToken) {
		t.Errorf("Publish without a token = %v; want ErrNoToken", err)
	}
}

func TestStatusOutsideMR(t *testing.T) {
	srv := apitest.New(t)
	p := newPublisher(t, srv, func(c *Config, o *Options) { c.MR = 0; c.JobURL = "https://x/" + strings.Repeat("a", 300) })
	srv.Expect(apitest.Call{Method: "POST", Path: "/api/v4/projects/42/statuses/" + headSHA, Body: apitest.JSON(map[string]any{
		"state": "running", "name": "lockstep/rollout", "description": "canary 25%", "ref": "feature", "pipeline_id": 1234}), Status: 201, Reply: `{}`})
	// a section without an MR goes nowhere; the overlong job URL is left out
	err := p.Publish(context.Background(), &report.Report{Sections: []report.Section{lintSection},
		Statuses: []report.Status{{Stage: report.StageRollout, State: report.StateRunning, Description: "canary 25%"}}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDeployment(t *testing.T) {
	srv := apitest.New(t)
	p := newPublisher(t, srv, nil)
	srv.Expect(
		apitest.Call{Method: "POST", Path: "/api/v4/projects/42/deployments", Body: apitest.JSON(map[string]any{
			"environment": "production", "sha": headSHA, "ref": "feature", "tag": false, "status": "running"}), Status: 201, Reply: `{"id": 8}`},
		apitest.Call{Method: "PUT", Path: "/api/v4/projects/42/deployments/8", Body: `{"status": "failed"}`, Reply: `{"id": 8}`},
	)
	ctx := context.Background()
	id, err := p.StartDeployment(ctx, report.Deployment{Environment: "production", Release: "v3"})
	if err != nil || id != "8" {
		t.Fatalf("StartDeployment = %q, %v", id, err)
	}
	if err := p.SetDeploymentState(ctx, id, report.DeployFailure, "rolled back", ""); err != nil {
		t.Fatal(err)
	}
	if err := p.SetDeploymentState(ctx, id, report.DeployInactive, "", ""); err != nil {
		t.Fatal(err) // no request: GitLab has no inactive
	}

	// A job with `environment: production` is the deployment: no request.
	own := newPublisher(t, srv, func(c *Config, o *Options) { c.Environment = "production" })
	id, err = own.StartDeployment(ctx, report.Deployment{Environment: "production"})
	if err != nil || own.SetDeploymentState(ctx, id, report.DeploySuccess, "", "") != nil {
		t.Fatalf("job-owned deployment: %q, %v", id, err)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{"GITLAB_CI": "true", "CI_API_V4_URL": "https://gl.example.com/api/v4", "CI_PROJECT_ID": "42",
		"CI_MERGE_REQUEST_IID": "5", "CI_MERGE_REQUEST_DIFF_BASE_SHA": "b", "CI_COMMIT_SHA": "h", "CI_COMMIT_REF_NAME": "feature",
		"CI_PIPELINE_ID": "77", "CI_JOB_URL": "https://gl.example.com/j/1", "CI_JOB_TOKEN": "jt"}
	got, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := Config{APIURL: "https://gl.example.com/api/v4", Project: "42", MR: 5, BaseSHA: "b", SHA: "h", Ref: "feature", PipelineID: 77,
		JobURL: "https://gl.example.com/j/1", Token: "jt", JobToken: true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FromEnv (-want +got):\n%s", d)
	}
	env["GITLAB_TOKEN"] = "pat"
	if got, _ := FromEnv(func(k string) string { return env[k] }); got.Token != "pat" || got.JobToken {
		t.Errorf("GITLAB_TOKEN not preferred: %+v", got)
	}
	env["CI_MERGE_REQUEST_IID"] = "x"
	if _, err := FromEnv(func(k string) string { return env[k] }); !errors.Is(err, report.ErrContext) {
		t.Errorf("bad IID: %v", err)
	}
	if !Detected(func(k string) string { return env[k] }) {
		t.Error("Detected = false")
	}
}

// The position JSON is what GitLab documents; keep the test honest about it.
func TestPositionShape(t *testing.T) {
	var v map[string]any
	json.Unmarshal([]byte(apitest.JSON(position("a", "b", 3, 2))), &v)
	for _, k := range []string{"position_type", "base_sha", "start_sha", "head_sha", "old_path", "new_path", "new_line", "old_line"} {
		if _, ok := v[k]; !ok {
			t.Errorf("position lacks %s", k)
		}
	}
}

// A thread a person resolved while its finding stands is an answer (won't
// fix, accepted): it is not opened again. A thread lockstep resolved
// itself (the finding was gone) whose finding is back is reopened, with a
// reply saying why, and no second thread is opened; the next run finds it
// open and does nothing.
func TestResolvedThreads(t *testing.T) {
	srv := apitest.New(t)
	p := newPublisher(t, srv, nil)
	me := map[string]any{"username": "lockstep-bot"}
	srv.Expect(apitest.Call{Method: "GET", Path: "/api/v4/user", Reply: `{"id": 9, "username": "lockstep-bot"}`},
		apitest.Call{Method: "GET", Path: mr + "/versions", Reply: versionsReply},
		apitest.Call{Method: "GET", Path: mr + "/diffs", Query: "per_page=100", Reply: diffsReply},
		apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": "by-alice", "notes": []map[string]any{{"id": 1, "body": body(annIndex, "suggestion:-0+0"), "author": me,
				"resolvable": true, "resolved": true, "resolved_by": map[string]any{"username": "alice"}}}},
			{"id": "by-me", "notes": []map[string]any{{"id": 2, "body": body(annNotNull, "suggestion:-0+1"), "author": me,
				"resolvable": true, "resolved": true, "resolved_by": me}}},
		})},
		apitest.Call{Method: "PUT", Path: mr + "/discussions/by-me", Body: `{"resolved": false}`, Reply: `{"id": "by-me"}`},
		apitest.Call{Method: "POST", Path: mr + "/discussions/by-me/notes", Body: apitest.JSON(map[string]any{
			"body": "🔁 lockstep finds this again as of `ddddddd`."}), Status: 201, Reply: `{"id": 3}`},
	)
	r := &report.Report{Annotations: []report.Annotation{annIndex, annNotNull}, ReviewStage: report.StageLint}
	if err := p.Publish(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	srv.Verify()
	srv.Expect(apitest.Call{Method: "GET", Path: mr + "/versions", Reply: versionsReply},
		apitest.Call{Method: "GET", Path: mr + "/diffs", Query: "per_page=100", Reply: diffsReply},
		apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": "by-alice", "notes": []map[string]any{{"id": 1, "body": body(annIndex, "suggestion:-0+0"), "author": me,
				"resolvable": true, "resolved": true, "resolved_by": map[string]any{"username": "alice"}}}},
			{"id": "by-me", "notes": []map[string]any{{"id": 2, "body": body(annNotNull, "suggestion:-0+1"), "author": me, "resolvable": true},
				{"id": 3, "body": "🔁 lockstep finds this again as of `ddddddd`.", "author": me}}},
		})},
	)
	if err := p.Publish(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	srv.Verify()
}

// TestFilterModes: which findings become threads for each --filter mode.
// A thread sits on a line, so file and nofilter add nothing outside the
// hunks (the Code Quality report lists those).
func TestFilterModes(t *testing.T) {
	onContext := report.Annotation{Path: "migrations/001_users.up.sql", Line: 4, Level: report.LevelWarning, Rule: "b", Title: "on a context line"}
	inGap := report.Annotation{Path: "migrations/001_users.up.sql", Line: 10, Level: report.LevelWarning, Rule: "c", Title: "between the hunks"}
	untouched := report.Annotation{Path: "migrations/000_init.up.sql", Line: 1, Level: report.LevelWarning, Rule: "d", Title: "not in the diff"}
	thread := map[string]apitest.Call{
		"added":   {Method: "POST", Path: mr + "/discussions", Body: apitest.JSON(map[string]any{"body": body(annIndex, "suggestion:-0+0"), "position": position(annIndex.Path, annIndex.Path, 1, 0)}), Status: 201, Reply: `{"id": "a"}`},
		"context": {Method: "POST", Path: mr + "/discussions", Body: apitest.JSON(map[string]any{"body": body(onContext, "suggestion:-0+0"), "position": position(onContext.Path, onContext.Path, 4, 4)}), Status: 201, Reply: `{"id": "b"}`},
	}
	for mode, want := range map[diff.Mode][]string{
		diff.ModeAdded:       {"added"},
		diff.ModeDiffContext: {"added", "context"},
		diff.ModeFile:        {"added", "context"},
		diff.ModeNoFilter:    {"added", "context"},
	} {
		t.Run(string(mode), func(t *testing.T) {
			srv := apitest.New(t)
			p := newPublisher(t, srv, func(c *Config, o *Options) { o.Filter = mode; o.Username = "lockstep-bot" })
			srv.Expect(
				apitest.Call{Method: "GET", Path: mr + "/versions", Reply: versionsReply},
				apitest.Call{Method: "GET", Path: mr + "/diffs", Query: "per_page=100", Reply: diffsReply},
				apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: `[]`},
			)
			for _, w := range want {
				srv.Expect(thread[w])
			}
			r := &report.Report{Annotations: []report.Annotation{annIndex, onContext, inGap, untouched}, ReviewStage: report.StageLint}
			if err := p.Publish(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		})
	}
}
