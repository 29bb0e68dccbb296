package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/internal/apitest"
	"github.com/lockstep-dev/lockstep/report"
	"github.com/lockstep-dev/lockstep/report/diff"
	"github.com/lockstep-dev/lockstep/report/retry"
)

const (
	head  = "1111111111111111111111111111111111111111"
	base  = "2222222222222222222222222222222222222222"
	token = "ghs_s3cr3tT0kenValue"
	runs  = "https://github.com/o/r/actions/runs/99"
)

// filesReply is GET /pulls/7/files: 002 added, 001 changed in two hunks
// (line 3 and line 26 added), orders.sql renamed with an edit.
var filesReply = apitest.JSON([]map[string]any{
	{"filename": "migrations/001_users.up.sql", "status": "modified",
		"patch": "@@ -1,6 +1,6 @@\n -- users\n ALTER TABLE users ADD COLUMN c1 int;\n-ALTER TABLE users ADD COLUMN c2 int;\n+ALTER TABLE users ADD COLUMN c2 bigint;\n ALTER TABLE users ADD COLUMN c3 int;\n ALTER TABLE users ADD COLUMN c4 int;\n ALTER TABLE users ADD COLUMN c5 int;\n@@ -23,6 +23,7 @@ ALTER TABLE users ADD COLUMN c21 int;\n ALTER TABLE users ADD COLUMN c22 int;\n ALTER TABLE users ADD COLUMN c23 int;\n ALTER TABLE users ADD COLUMN c24 int;\n+ALTER TABLE users ALTER COLUMN c24 SET NOT NULL;\n ALTER TABLE users ADD COLUMN c25 int;\n ALTER TABLE users ADD COLUMN c26 int;\n ALTER TABLE users ADD COLUMN c27 int;"},
	{"filename": "migrations/002_index.up.sql", "status": "added",
		"patch": "@@ -0,0 +1,3 @@\n+CREATE INDEX users_email ON users (email);\n+ALTER TABLE users\n+  ALTER COLUMN email SET NOT NULL;"},
	{"filename": "db/orders_v2.sql", "previous_filename": "db/orders.sql", "status": "renamed",
		"patch": "@@ -1,3 +1,3 @@\n CREATE TABLE orders (id bigint PRIMARY KEY);\n-CREATE INDEX orders_id ON orders (id);\n+CREATE INDEX CONCURRENTLY orders_id ON orders (id);\n -- end"},
})

var (
	annIndex = report.Annotation{Path: "migrations/002_index.up.sql", Line: 1, EndLine: 1, Column: 1, EndColumn: 42, Level: report.LevelError,
		Rule: "create-index-non-concurrent", Title: "CREATE INDEX on users without CONCURRENTLY blocks writes to it for the whole build",
		Body: "**Lock:** SHARE on `users`", Suggestion: "CREATE INDEX CONCURRENTLY users_email ON users (email);", DocURL: "https://example.com/rules/create-index-non-concurrent.md"}
	annNotNull = report.Annotation{Path: "migrations/002_index.up.sql", Line: 2, EndLine: 3, Level: report.LevelWarning,
		Rule: "set-not-null", Title: "SET NOT NULL scans users under ACCESS EXCLUSIVE", Body: "**Fix:** add a CHECK constraint NOT VALID first."}
	annRenamed = report.Annotation{Path: "db/orders_v2.sql", Line: 2, EndLine: 2, Level: report.LevelWarning,
		Rule: "missing-lock-timeout", Title: "no lock_timeout", Body: "set one"}
	// outside the hunks of 001: an annotation in added mode
	annOutside = report.Annotation{Path: "migrations/001_users.up.sql", Line: 10, EndLine: 10, Column: 1, EndColumn: 37, Level: report.LevelWarning,
		Rule: "add-column", Title: "outside the diff", Body: "b"}
	annGone = report.Annotation{Path: "migrations/002_index.up.sql", Line: 1, Rule: "old-rule", Title: "fixed since", Level: report.LevelError}
)

type fixture struct {
	srv     *apitest.Server
	pub     *Publisher
	stdout  *bytes.Buffer
	summary string
	output  string
}

func newFixture(t *testing.T, mutate func(*Config, *Options)) *fixture {
	t.Helper()
	srv := apitest.New(t)
	dir := t.TempDir()
	f := &fixture{srv: srv, stdout: &bytes.Buffer{}, summary: filepath.Join(dir, "summary.md"), output: filepath.Join(dir, "output")}
	env := map[string]string{"GITHUB_STEP_SUMMARY": f.summary, "GITHUB_OUTPUT": f.output}
	cfg := Config{APIURL: srv.URL(), Owner: "o", Repo: "r", Token: token, PR: 7, HeadSHA: head, BaseSHA: base, SHA: "3333333333333333333333333333333333333333", RunURL: runs, Actions: true}
	o := Options{HTTPClient: srv.Client(), Getenv: func(k string) string { return env[k] }, Stdout: f.stdout}
	if mutate != nil {
		mutate(&cfg, &o)
	}
	p, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	f.pub = p
	return f
}

func comment(a report.Annotation, suggestion bool) string {
	o := report.CommentOptions{Stage: report.StageLint}
	if suggestion {
		o.SuggestionFence = "suggestion"
	}
	return report.Comment(a, o)
}

var lintSection = report.Section{Stage: report.StageLint, State: report.StateFailure, Summary: "1 error, 2 warnings in 2 files", Markdown: "| file | rule |\n|---|---|\n| 002 | create-index-non-concurrent |"}

func lintReport() *report.Report {
	return &report.Report{
		Annotations: []report.Annotation{annIndex, annNotNull, annRenamed, annOutside},
		ReviewStage: report.StageLint,
		Sections:    []report.Section{lintSection},
		Statuses:    []report.Status{{Stage: report.StageLint, State: report.StateFailure, Description: "1 error, 2 warnings"}},
		Outputs:     report.Outputs{"findings": "4", "errors": "1"},
	}
}

func TestPublishTwiceMakesNoDuplicates(t *testing.T) {
	f := newFixture(t, nil)
	bot := map[string]any{"login": "github-actions[bot]", "type": "Bot"}
	human := map[string]any{"login": "alice", "type": "User"}
	goneBody := report.Comment(annGone, report.CommentOptions{Stage: report.StageLint})
	repliedBody := report.Comment(report.Annotation{Path: "migrations/002_index.up.sql", Line: 2, Rule: "r2", Title: "discussed", Level: report.LevelWarning}, report.CommentOptions{Stage: report.StageLint})
	sticky := report.MergeSticky("", []report.Section{withURL([]report.Section{lintSection}, runs)[0]}, "", report.GitHubCommentLimit)

	// Run 1: nothing of ours on the PR but two stale comments.
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 501, "body": goneBody, "user": bot, "path": "migrations/002_index.up.sql", "line": 1},
			{"id": 502, "body": repliedBody, "user": bot},
			{"id": 503, "body": "why?", "user": human, "in_reply_to_id": 502},
			// a human quoting a marker is not lockstep's comment
			{"id": 504, "body": "copy: " + goneBody, "user": human},
			// a comment of another stage is left to that stage
			{"id": 505, "body": report.Comment(annGone, report.CommentOptions{Stage: report.StagePlan}), "user": bot},
		})},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Body: apitest.JSON(map[string]any{
			"commit_id": head, "event": "COMMENT",
			"body": "**lockstep** found 3 new findings on the lines this pull request changes.",
			"comments": []map[string]any{
				{"path": "migrations/002_index.up.sql", "line": 1, "side": "RIGHT", "body": comment(annIndex, true)},
				{"path": "migrations/002_index.up.sql", "start_line": 2, "start_side": "RIGHT", "line": 3, "side": "RIGHT", "body": comment(annNotNull, true)},
				{"path": "db/orders_v2.sql", "line": 2, "side": "RIGHT", "body": comment(annRenamed, true)},
			}}), Reply: `{"id": 900}`},
		apitest.Call{Method: "DELETE", Path: "/repos/o/r/pulls/comments/501", Status: 204},
		apitest.Call{Method: "PATCH", Path: "/repos/o/r/pulls/comments/502", Body: apitest.JSON(map[string]any{"body": report.Outdated(repliedBody, head)}), Reply: `{"id": 502}`},
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 600, "body": "LGTM", "user": human},
		})},
		apitest.Call{Method: "POST", Path: "/repos/o/r/issues/7/comments", Body: apitest.JSON(map[string]any{"body": sticky}), Status: 201, Reply: `{"id": 601}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + head, Body: apitest.JSON(map[string]any{
			"state": "failure", "context": "lockstep/lint", "description": "1 error, 2 warnings", "target_url": runs}), Status: 201, Reply: `{}`},
	)
	if err := f.pub.Publish(context.Background(), lintReport()); err != nil {
		t.Fatalf("Publish = %v", err)
	}
	f.srv.Verify()

	// Only the finding outside the diff became a workflow annotation.
	wantCmd := "::warning endLine=10,file=migrations/001_users.up.sql,line=10,col=1,endColumn=37,title=lockstep add-column::outside the diff"
	if got := f.stdout.String(); !sameCommand(got, wantCmd) || strings.Count(got, "::") != 2 {
		t.Errorf("stdout = %q; want the one annotation %q", got, wantCmd)
	}
	summary, _ := os.ReadFile(f.summary)
	if !strings.Contains(string(summary), "### ❌ lockstep lint: 1 error, 2 warnings in 2 files") {
		t.Errorf("job summary = %q; want the lint section", summary)
	}
	out, _ := os.ReadFile(f.output)
	if !strings.Contains(string(out), "errors<<") || !strings.Contains(string(out), "findings<<") {
		t.Errorf("outputs = %q; want errors and findings", out)
	}

	// Run 2, same head, same findings: the comments and the sticky comment
	// are found again; nothing is posted twice.
	var posted []map[string]any
	for _, r := range f.srv.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/reviews") {
			var req struct {
				Comments []map[string]any `json:"comments"`
			}
			json.Unmarshal([]byte(r.Body), &req)
			for i, c := range req.Comments {
				posted = append(posted, map[string]any{"id": 700 + i, "body": c["body"], "user": bot, "path": c["path"], "line": c["line"]})
			}
		}
	}
	f.stdout.Reset()
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: apitest.JSON(append(posted,
			map[string]any{"id": 502, "body": report.Outdated(repliedBody, head), "user": bot},
			map[string]any{"id": 503, "body": "why?", "user": human, "in_reply_to_id": 502}))},
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 600, "body": "LGTM", "user": human},
			{"id": 601, "body": sticky, "user": bot},
		})},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + head, Body: apitest.JSON(map[string]any{
			"state": "failure", "context": "lockstep/lint", "description": "1 error, 2 warnings", "target_url": runs}), Status: 201, Reply: `{}`},
	)
	if err := f.pub.Publish(context.Background(), lintReport()); err != nil {
		t.Fatalf("second Publish = %v", err)
	}
	f.srv.Verify()

	// Run 3: the gate stage edits the same comment, adding its section
	// after lint's, and leaves the review comments alone.
	gate := report.Section{Stage: report.StageGate, State: report.StateSuccess, Summary: "open: inside the deploy window"}
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 601, "body": sticky, "user": bot},
		})},
		apitest.Call{Method: "PATCH", Path: "/repos/o/r/issues/comments/601", Body: apitest.JSON(map[string]any{
			"body": report.MergeSticky(sticky, []report.Section{withURL([]report.Section{gate}, runs)[0]}, "", report.GitHubCommentLimit)}), Reply: `{"id": 601}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + head, Body: apitest.JSON(map[string]any{
			"state": "success", "context": "lockstep/gate", "description": "open", "target_url": "https://ci.example.com/job/1"}), Status: 201, Reply: `{}`},
	)
	err := f.pub.Publish(context.Background(), &report.Report{
		Sections: []report.Section{gate},
		Statuses: []report.Status{{Stage: report.StageGate, State: report.StateSuccess, Description: "open", TargetURL: "https://ci.example.com/job/1"}},
		Outputs:  report.Outputs{"open": "true"},
	})
	if err != nil {
		t.Fatalf("gate Publish = %v", err)
	}
	for _, r := range f.srv.Requests() {
		if got := r.Header.Get("Authorization"); got != "Bearer "+token {
			t.Errorf("%s %s: Authorization = %q; want the bearer token", r.Method, r.Path, got)
		}
	}
}

// sameCommand compares a workflow command ignoring the order of its properties.
func sameCommand(out, want string) bool {
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if norm(line) == norm(want) {
			return true
		}
	}
	return false
}

func norm(cmd string) string {
	rest := strings.TrimPrefix(cmd, "::")
	head, msg, _ := strings.Cut(rest, "::")
	name, props, _ := strings.Cut(head, " ")
	ps := strings.Split(props, ",")
	for i := range ps {
		ps[i] = strings.ReplaceAll(ps[i], "%3A", ":")
	}
	sortStrings(ps)
	return name + " " + strings.Join(ps, ",") + "::" + msg
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestPersonalTokenIdentity(t *testing.T) {
	f := newFixture(t, func(c *Config, o *Options) { c.Token = "ghp_personal"; c.Actions = false })
	mine := report.Comment(annIndex, report.CommentOptions{Stage: report.StageLint, SuggestionFence: "suggestion"})
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/user", Reply: `{"login": "octo", "type": "User"}`},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 1, "body": mine, "user": map[string]any{"login": "octo", "type": "User"}},
			// a bot's comment with our marker is not this token's
			{"id": 2, "body": report.Comment(annGone, report.CommentOptions{Stage: report.StageLint}), "user": map[string]any{"login": "other[bot]", "type": "Bot"}},
		})},
	)
	r := &report.Report{Annotations: []report.Annotation{annIndex}, ReviewStage: report.StageLint}
	if err := f.pub.Publish(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if f.stdout.Len() != 0 {
		t.Errorf("outside Actions, stdout = %q; want no workflow commands", f.stdout)
	}
}

func TestReadOnlyTokenDegrades(t *testing.T) {
	f := newFixture(t, func(c *Config, o *Options) { c.ReadOnly, c.ReadOnlyWhy = true, "pull request from a fork" })
	err := f.pub.Publish(context.Background(), lintReport())
	var n *report.Notice
	if !errors.As(err, &n) || !strings.Contains(n.Msg, "pull request from a fork: the token is read-only") {
		t.Fatalf("Publish = %v; want a notice about the fork", err)
	}
	if got := strings.Count(f.stdout.String(), "\n::"); got != 3 { // 4 lines, first has no leading newline
		t.Errorf("stdout = %q; want 4 annotations", f.stdout)
	}
	if len(f.srv.Requests()) != 0 {
		t.Errorf("requests = %v; want none", f.srv.Requests())
	}
	if b, _ := os.ReadFile(f.summary); len(b) == 0 {
		t.Error("no job summary")
	}
}

func TestNoToken(t *testing.T) {
	f := newFixture(t, func(c *Config, o *Options) { c.Token = "" })
	err := f.pub.Publish(context.Background(), lintReport())
	if !errors.Is(err, report.ErrNoToken) {
		t.Fatalf("Publish = %v; want ErrNoToken", err)
	}
	if !strings.Contains(f.stdout.String(), "::error") {
		t.Errorf("stdout = %q; want the findings as annotations", f.stdout)
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		reply  string
		want   error
		msg    string
	}{
		{"invalid token", 401, `{"message": "Bad credentials"}`, report.ErrToken, "GitHub: list the files of pull request #7: 401 Bad credentials (the token is invalid or expired)"},
		{"no permission", 403, `{"message": "Resource not accessible by integration"}`, report.ErrPermission, "403 Resource not accessible by integration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.srv.Expect(apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Status: tt.status, Reply: tt.reply})
			err := f.pub.Publish(context.Background(), lintReport())
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Publish = %v; want %v with %q", err, tt.want, tt.msg)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(f.stdout.String(), token) {
				t.Error("the token appears in the output")
			}
			// nothing was posted inline, so every finding is an annotation
			if got := strings.Count(f.stdout.String(), "::"); got != 8 {
				t.Errorf("stdout = %q; want 4 annotations", f.stdout)
			}
		})
	}
}

func TestPermissionErrorOnReview(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Body: apitest.JSON(map[string]any{
			"commit_id": head, "event": "COMMENT", "body": "**lockstep** found 1 new finding on the lines this pull request changes.",
			"comments": []map[string]any{{"path": annIndex.Path, "line": 1, "side": "RIGHT", "body": comment(annIndex, true)}}}),
			Status: 403, Reply: `{"message": "Resource not accessible by integration"}`},
	)
	err := f.pub.Publish(context.Background(), &report.Report{Annotations: []report.Annotation{annIndex}, ReviewStage: report.StageLint})
	if !errors.Is(err, report.ErrPermission) || !strings.Contains(err.Error(), "GitHub: post the review on pull request #7: 403 Resource not accessible by integration (the token needs contents: read, pull-requests: write") {
		t.Fatalf("Publish = %v; want a permission error naming what is missing", err)
	}
	// The comment did not go out, so the finding is annotated instead.
	if !strings.Contains(f.stdout.String(), "::error ") {
		t.Errorf("stdout = %q; want the finding as an annotation", f.stdout)
	}
}

func TestOverflowAndFileComments(t *testing.T) {
	f := newFixture(t, func(c *Config, o *Options) { o.Filter = diff.ModeFile })
	var anns []report.Annotation
	for i := 0; i < MaxComments+1; i++ {
		anns = append(anns, report.Annotation{Path: "migrations/002_index.up.sql", Line: 1, Level: report.LevelWarning, Rule: fmt.Sprintf("r%02d", i), Title: "t"})
	}
	// outside the hunks, file mode: a file-level comment; it counts
	// against the cap, so two findings overflow.
	anns = append([]report.Annotation{annOutside}, anns...)
	var comments []map[string]any
	for _, a := range anns[1:MaxComments] {
		comments = append(comments, map[string]any{"path": a.Path, "line": 1, "side": "RIGHT", "body": comment(a, true)})
	}
	body := "**lockstep** found 32 new findings on the lines this pull request changes.\n\n2 findings are more not posted inline (at most 30 comments per run); they are in the job summary and the annotations:\n\n" +
		"- `migrations/002_index.up.sql:1` ⚠️ `r29`: t\n- `migrations/002_index.up.sql:1` ⚠️ `r30`: t\n"
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Body: apitest.JSON(map[string]any{
			"commit_id": head, "event": "COMMENT", "body": body, "comments": comments}), Reply: `{"id": 1}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/comments", Body: apitest.JSON(map[string]any{
			"body": comment(annOutside, false), "commit_id": head, "path": annOutside.Path, "subject_type": "file"}), Status: 201, Reply: `{"id": 2}`},
	)
	r := &report.Report{Annotations: anns, ReviewStage: report.StageLint}
	if err := f.pub.Publish(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(f.stdout.String(), "::warning"); got != 2 {
		t.Errorf("stdout = %q; want the 2 overflowing findings annotated", f.stdout)
	}
}

func TestUnprocessableReviewFallsBackToBody(t *testing.T) {
	f := newFixture(t, nil)
	a := annIndex
	draft := comment(a, true)
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Body: apitest.JSON(map[string]any{
			"commit_id": head, "event": "COMMENT", "body": "**lockstep** found 1 new finding on the lines this pull request changes.",
			"comments": []map[string]any{{"path": a.Path, "line": 1, "side": "RIGHT", "body": draft}}}),
			Status: 422, Reply: `{"message": "Unprocessable Entity", "errors": ["Line could not be resolved"]}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Body: apitest.JSON(map[string]any{
			"commit_id": head, "event": "COMMENT",
			"body": "**lockstep** found 1 new finding on the lines this pull request changes.\n\n---\n**`migrations/002_index.up.sql:1`**\n\n" + draft + "\n\n"}), Reply: `{"id": 3}`},
	)
	if err := f.pub.Publish(context.Background(), &report.Report{Annotations: []report.Annotation{a}, ReviewStage: report.StageLint}); err != nil {
		t.Fatal(err)
	}
}

func TestPaginationAndEnterpriseURL(t *testing.T) {
	var srvURL string
	f := newFixture(t, func(c *Config, o *Options) {})
	srvURL = f.srv.URL()
	// GitHub Enterprise Server: the API lives under /api/v3.
	p, err := New(Config{APIURL: srvURL + "/api/v3", Owner: "o", Repo: "r", Token: token, PR: 7, HeadSHA: head, RunURL: runs},
		Options{HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	sticky := report.MergeSticky("", withURL([]report.Section{lintSection}, runs), "", report.GitHubCommentLimit)
	next := fmt.Sprintf(`<%s/api/v3/repositories/1/issues/7/comments?per_page=100&page=2>; rel="next"`, srvURL)
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/api/v3/repos/o/r/issues/7/comments", Query: "per_page=100", Header: http.Header{"Link": {next}},
			Reply: `[{"id": 1, "body": "hi", "user": {"login": "a", "type": "User"}}]`},
		apitest.Call{Method: "GET", Path: "/api/v3/repos/o/r/issues/7/comments", Query: "per_page=100&page=2",
			Reply: apitest.JSON([]map[string]any{{"id": 2, "body": strings.Replace(sticky, "1 error", "2 errors", 1), "user": map[string]any{"login": "github-actions[bot]", "type": "Bot"}}})},
		apitest.Call{Method: "PATCH", Path: "/api/v3/repos/o/r/issues/comments/2", Body: apitest.JSON(map[string]any{"body": sticky}), Reply: `{"id": 2}`},
	)
	if err := p.Publish(context.Background(), &report.Report{Sections: []report.Section{lintSection}}); err != nil {
		t.Fatal(err)
	}
}

func TestDeployment(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Expect(
		apitest.Call{Method: "POST", Path: "/repos/o/r/deployments", Body: apitest.JSON(map[string]any{
			"ref": head, "task": "deploy", "auto_merge": false, "required_contexts": []string{},
			"payload":     map[string]any{"lockstep_release": "v42", "rollback_safe": true},
			"environment": "production", "description": "v42: expand applied, canary 5% → 100%",
			"production_environment": true, "transient_environment": false}), Status: 201, Reply: `{"id": 77}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/deployments/77/statuses", Body: apitest.JSON(map[string]any{
			"state": "in_progress", "description": "canary at 5%", "log_url": runs, "environment_url": "https://shop.example.com"}), Status: 201, Reply: `{}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/deployments/77/statuses", Body: apitest.JSON(map[string]any{
			"state": "success", "description": strings.Repeat("x", 139) + "…", "log_url": "https://logs.example.com/1",
			"environment_url": "https://shop.example.com", "auto_inactive": true}), Status: 201, Reply: `{}`},
		// a later deploy's failure, and retiring the record
		apitest.Call{Method: "POST", Path: "/repos/o/r/deployments/77/statuses", Body: apitest.JSON(map[string]any{
			"state": "failure", "description": "rolled back: error rate 4.1% > 1%", "log_url": runs, "environment_url": "https://shop.example.com"}), Status: 201, Reply: `{}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/deployments/77/statuses", Body: apitest.JSON(map[string]any{
			"state": "inactive", "description": "superseded", "log_url": runs, "environment_url": "https://shop.example.com"}), Status: 201, Reply: `{}`},
	)
	ctx := context.Background()
	id, err := f.pub.StartDeployment(ctx, report.Deployment{Environment: "production", Release: "v42", Ref: head,
		Description: "v42: expand applied, canary 5% → 100%", Production: true, URL: "https://shop.example.com",
		Payload: map[string]any{"rollback_safe": true}})
	if err != nil || id != "77" {
		t.Fatalf("StartDeployment = %q, %v; want 77", id, err)
	}
	if err := f.pub.SetDeploymentState(ctx, id, report.DeployInProgress, "canary at 5%", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.pub.SetDeploymentState(ctx, id, report.DeploySuccess, strings.Repeat("x", 300), "https://logs.example.com/1"); err != nil {
		t.Fatal(err)
	}
	if err := f.pub.SetDeploymentState(ctx, id, report.DeployFailure, "rolled back: error rate 4.1% > 1%", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.pub.SetDeploymentState(ctx, id, report.DeployInactive, "superseded", ""); err != nil {
		t.Fatal(err)
	}
	f.srv.Verify()
	// A read-only token (a fork) creates no deployment.
	ro := newFixture(t, func(c *Config, o *Options) { c.ReadOnly = true })
	if _, err := ro.pub.StartDeployment(ctx, report.Deployment{Environment: "production"}); !errors.Is(err, report.ErrNoToken) {
		t.Errorf("StartDeployment with a read-only token = %v; want ErrNoToken", err)
	}
}

func TestAnnotationCaps(t *testing.T) {
	f := newFixture(t, func(c *Config, o *Options) { c.PR = 0 })
	var anns []report.Annotation
	for i := 0; i < 12; i++ {
		anns = append(anns, report.Annotation{Path: "a.sql", Line: i + 1, Level: report.LevelError, Rule: "r", Title: fmt.Sprintf("e%d", i)})
	}
	anns = append(anns, report.Annotation{Path: "a.sql", Line: 1, Level: report.LevelNotice, Rule: "n", Title: "note, with: punctuation\nand a newline 100%"})
	if err := f.pub.Publish(context.Background(), &report.Report{Annotations: anns}); err != nil {
		t.Fatal(err)
	}
	out := f.stdout.String()
	if got := strings.Count(out, "::error "); got != 10 {
		t.Errorf("%d ::error commands; want 10", got)
	}
	if !strings.Contains(out, "::note, with: punctuation%0Aand a newline 100%25\n") {
		t.Errorf("stdout = %q; want the notice's message escaped", out)
	}
	if !strings.Contains(out, "lockstep: 2 more findings not annotated: GitHub shows 10 errors, 10 warnings and 10 notices per step") {
		t.Errorf("stdout = %q; want one line about the 2 left out", out)
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	pr := `{"number": 7, "pull_request": {"number": 7, "head": {"sha": "h", "repo": {"full_name": "o/r"}}, "base": {"sha": "b", "repo": {"full_name": "o/r"}}}}`
	fork := `{"number": 8, "pull_request": {"number": 8, "head": {"sha": "h", "repo": {"full_name": "someone/r"}}, "base": {"sha": "b", "repo": {"full_name": "o/r"}}}}`
	tests := []struct {
		name string
		env  map[string]string
		want Config
		err  error
	}{
		{"pull request on GHES", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
			"GITHUB_SERVER_URL": "https://ghe.example.com", "GITHUB_RUN_ID": "5", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_SHA": "m",
			"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": write("pr.json", pr), "GITHUB_TOKEN": "t1", "INPUT_GITHUB-TOKEN": "t2"},
			Config{APIURL: "https://ghe.example.com/api/v3", Owner: "o", Repo: "r", Token: "t2", PR: 7, HeadSHA: "h", BaseSHA: "b", SHA: "m",
				RunURL: "https://ghe.example.com/o/r/actions/runs/5/attempts/2", Actions: true}, nil},
		{"fork", map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": write("fork.json", fork), "GITHUB_TOKEN": "t"},
			Config{APIURL: "https://api.github.com", Owner: "o", Repo: "r", Token: "t", PR: 8, HeadSHA: "h", BaseSHA: "b", ReadOnly: true, ReadOnlyWhy: "pull request from a fork"}, nil},
		{"fork under pull_request_target has a write token", map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": write("fork2.json", fork)},
			Config{APIURL: "https://api.github.com", Owner: "o", Repo: "r", PR: 8, HeadSHA: "h", BaseSHA: "b"}, nil},
		{"push", map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "m", "GITHUB_EVENT_PATH": write("push.json", `{"ref": "refs/heads/main"}`)},
			Config{APIURL: "https://api.github.com", Owner: "o", Repo: "r", SHA: "m"}, nil},
		{"bad repository", map[string]string{"GITHUB_REPOSITORY": "o"}, Config{}, report.ErrContext},
		{"unreadable event", map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": filepath.Join(dir, "nope.json")}, Config{}, report.ErrContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromEnv(func(k string) string { return tt.env[k] }, os.ReadFile)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("FromEnv = %v; want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FromEnv (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAllFixedCleansUp(t *testing.T) {
	f := newFixture(t, nil)
	bot := map[string]any{"login": "github-actions[bot]", "type": "Bot"}
	f.srv.Expect(
		// no findings: no need for the diff
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 1, "body": comment(annIndex, true), "user": bot},
			{"id": 2, "body": report.Outdated(comment(annGone, false), "abc"), "user": bot}, // already marked: left alone
		})},
		apitest.Call{Method: "DELETE", Path: "/repos/o/r/pulls/comments/1", Status: 204},
	)
	if err := f.pub.Publish(context.Background(), &report.Report{ReviewStage: report.StageLint}); err != nil {
		t.Fatal(err)
	}
}

// TestFilterModes: which findings become inline comments (one review),
// file-level comments or only annotations, for each --filter mode, on the
// multi-hunk, renamed and added files of filesReply.
func TestFilterModes(t *testing.T) {
	onAdded := report.Annotation{Path: "migrations/002_index.up.sql", Line: 1, Level: report.LevelError, Rule: "a", Title: "on an added line"}
	onContext := report.Annotation{Path: "migrations/001_users.up.sql", Line: 4, Level: report.LevelWarning, Rule: "b", Title: "on a context line"}
	inGap := report.Annotation{Path: "migrations/001_users.up.sql", Line: 10, Level: report.LevelWarning, Rule: "c", Title: "between the hunks"}
	untouched := report.Annotation{Path: "migrations/000_init.up.sql", Line: 1, Level: report.LevelWarning, Rule: "d", Title: "in a file the PR does not touch"}
	all := []report.Annotation{onAdded, onContext, inGap, untouched}
	inline := func(a report.Annotation) map[string]any {
		return map[string]any{"path": a.Path, "line": a.Line, "side": "RIGHT", "body": comment(a, true)}
	}
	tests := []struct {
		mode      diff.Mode
		inline    []report.Annotation
		onFile    []report.Annotation
		annotated []string // titles left to workflow commands
	}{
		{diff.ModeAdded, []report.Annotation{onAdded}, nil, []string{onContext.Title, inGap.Title, untouched.Title}},
		{diff.ModeDiffContext, []report.Annotation{onAdded, onContext}, nil, []string{inGap.Title, untouched.Title}},
		{diff.ModeFile, []report.Annotation{onAdded, onContext}, []report.Annotation{inGap}, []string{untouched.Title}},
		{diff.ModeNoFilter, []report.Annotation{onAdded, onContext}, []report.Annotation{inGap}, []string{untouched.Title}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			f := newFixture(t, func(c *Config, o *Options) { o.Filter = tt.mode })
			var comments []map[string]any
			for _, a := range tt.inline {
				comments = append(comments, inline(a))
			}
			f.srv.Expect(
				apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
				apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: `[]`},
				apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Body: apitest.JSON(map[string]any{
					"commit_id": head, "event": "COMMENT",
					"body":     fmt.Sprintf("**lockstep** found %s on the lines this pull request changes.", plural(len(tt.inline)+len(tt.onFile), "new finding")),
					"comments": comments}), Reply: `{"id": 1}`},
			)
			for _, a := range tt.onFile {
				f.srv.Expect(apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/comments", Body: apitest.JSON(map[string]any{
					"body": comment(a, false), "commit_id": head, "path": a.Path, "subject_type": "file"}), Status: 201, Reply: `{"id": 2}`})
			}
			if err := f.pub.Publish(context.Background(), &report.Report{Annotations: all, ReviewStage: report.StageLint}); err != nil {
				t.Fatal(err)
			}
			f.srv.Verify()
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(f.stdout.String()), "\n") {
				if _, msg, ok := strings.Cut(strings.TrimPrefix(l, "::"), "::"); ok {
					got = append(got, msg)
				}
			}
			if d := cmp.Diff(tt.annotated, got); d != "" {
				t.Errorf("annotations (-want +got):\n%s", d)
			}
		})
	}
}

// The real client behind report/retry: a primary rate limit waits for
// X-RateLimit-Reset, a secondary one for Retry-After, each request is sent
// again with its body, and a reset too far away gives up at once with the
// one line that says until when.
func TestRateLimits(t *testing.T) {
	srv := apitest.New(t)
	var waits []time.Duration
	tr := &retry.Transport{Base: srv.Client().Transport, Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d.Round(time.Second))
		return nil
	}}
	p, err := New(Config{APIURL: srv.URL(), Owner: "o", Repo: "r", Token: token, SHA: head, RunURL: runs}, Options{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	body := apitest.JSON(map[string]any{"state": "success", "context": "lockstep/gate", "description": "open", "target_url": runs})
	soon := strconv.FormatInt(time.Now().Add(20*time.Second).Unix(), 10)
	later := time.Now().Add(time.Hour)
	srv.Expect(
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + head, Body: body, Status: 403,
			Header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {soon}}, Reply: `{"message": "API rate limit exceeded"}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + head, Body: body, Status: 403,
			Header: http.Header{"Retry-After": {"3"}}, Reply: `{"message": "You have exceeded a secondary rate limit"}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + head, Body: body, Status: 201, Reply: `{}`},
	)
	st := report.Report{Statuses: []report.Status{{Stage: report.StageGate, State: report.StateSuccess, Description: "open"}}}
	if err := p.Publish(context.Background(), &st); err != nil {
		t.Fatalf("Publish = %v", err)
	}
	srv.Verify()
	if len(waits) != 2 || waits[0] < 19*time.Second || waits[0] > 22*time.Second || waits[1] != 3*time.Second {
		t.Errorf("waits = %v; want about 21s (the reset, plus a second) then 3s (Retry-After)", waits)
	}

	waits = nil
	srv.Expect(apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + head, Body: body, Status: 403,
		Header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {strconv.FormatInt(later.Unix(), 10)}}, Reply: `{"message": "API rate limit exceeded"}`})
	err = p.Publish(context.Background(), &st)
	if !errors.Is(err, report.ErrUnavailable) || !strings.Contains(err.Error(), "GitHub: set the status lockstep/gate: rate limited until "+later.Format("15:04:05")) {
		t.Errorf("Publish = %v; want ErrUnavailable saying until when", err)
	}
	if len(waits) != 0 {
		t.Errorf("waits = %v; want none for a reset an hour away", waits)
	}
}

// A finding that comes back after lockstep marked its comment resolved
// (kept for its replies) gets that comment back, thread and all, when
// GitHub still shows it on the head's diff; when GitHub shows it as
// outdated (line null: the code under it changed) a new comment is posted.
// The third run finds everything in place and posts nothing.
func TestFindingComesBack(t *testing.T) {
	f := newFixture(t, nil)
	bot := map[string]any{"login": "github-actions[bot]", "type": "Bot"}
	human := map[string]any{"login": "alice", "type": "User"}
	fresh := comment(annIndex, true)
	listed := []map[string]any{
		{"id": 11, "body": report.Outdated(fresh, "abc1234"), "user": bot, "path": annIndex.Path, "line": 1},
		{"id": 12, "body": "we will fix it", "user": human, "in_reply_to_id": 11},
		{"id": 21, "body": report.Outdated(comment(annNotNull, true), "abc1234"), "user": bot, "path": annNotNull.Path, "line": nil},
		{"id": 22, "body": "ok", "user": human, "in_reply_to_id": 21},
	}
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: apitest.JSON(listed)},
		apitest.Call{Method: "PATCH", Path: "/repos/o/r/pulls/comments/11", Body: apitest.JSON(map[string]any{"body": fresh}), Reply: `{"id": 11}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Body: apitest.JSON(map[string]any{
			"commit_id": head, "event": "COMMENT",
			"body": "**lockstep** found 1 new finding on the lines this pull request changes.",
			"comments": []map[string]any{
				{"path": annNotNull.Path, "start_line": 2, "start_side": "RIGHT", "line": 3, "side": "RIGHT", "body": comment(annNotNull, true)},
			}}), Reply: `{"id": 900}`},
	)
	r := &report.Report{Annotations: []report.Annotation{annIndex, annNotNull}, ReviewStage: report.StageLint}
	if err := f.pub.Publish(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	f.srv.Verify()
	if strings.Contains(f.stdout.String(), "::") {
		t.Errorf("stdout = %q; want no annotations (both findings are comments)", f.stdout)
	}
	listed[0]["body"] = fresh
	listed = append(listed, map[string]any{"id": 31, "body": comment(annNotNull, true), "user": bot, "path": annNotNull.Path, "line": 3})
	f.srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: filesReply},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: apitest.JSON(listed)},
	)
	if err := f.pub.Publish(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	f.srv.Verify()
}
