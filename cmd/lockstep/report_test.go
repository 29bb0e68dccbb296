package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/internal/apitest"
	"github.com/lockstep-dev/lockstep/lint"
)

// A pull request adding 002: one statement, two findings (both with a
// one-statement rewrite), plus history in 001.
var reportRepo = map[string]string{
	"migrations/001_init.up.sql":  "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
	"migrations/002_index.up.sql": "CREATE INDEX users_email ON users (email);\n",
}

const (
	rptHead  = "1111111111111111111111111111111111111111"
	rptToken = "ghs_cmdTestTokenValue42"
)

// rptFiles is the PR's files as the API lists them.
var rptFiles = apitest.JSON([]map[string]any{{"filename": "migrations/002_index.up.sql", "status": "added",
	"patch": "@@ -0,0 +1 @@\n+CREATE INDEX users_email ON users (email);"}})

// githubEnv is a runner's environment for pull request 7 of o/r, talking to srv.
func githubEnv(t *testing.T, dir, api string, extra ...string) []string {
	t.Helper()
	event := filepath.Join(t.TempDir(), "event.json")
	ev := fmt.Sprintf(`{"number": 7, "pull_request": {"number": 7, "head": {"sha": %q, "repo": {"full_name": "o/r"}}, "base": {"sha": "2222", "repo": {"full_name": "o/r"}}}}`, rptHead)
	if err := os.WriteFile(event, []byte(ev), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := []string{"GITHUB_ACTIONS=true", "GITHUB_REPOSITORY=o/r", "GITHUB_API_URL=" + api, "GITHUB_SERVER_URL=https://github.com",
		"GITHUB_RUN_ID=99", "GITHUB_EVENT_NAME=pull_request", "GITHUB_EVENT_PATH=" + event, "GITHUB_SHA=3333",
		"GITHUB_TOKEN=" + rptToken, "GITHUB_WORKSPACE=" + dir,
		"GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary.md"), "GITHUB_OUTPUT=" + filepath.Join(dir, "output.txt")}
	return append(vars, extra...)
}

// lintFindings is what lint says on its own, for comparing.
func lintFindings(t *testing.T, dir string) []lint.Finding {
	t.Helper()
	c := lockstep(t, dir, "lint", "migrations", "--format", "json", "--report", "none")
	return findings(t, c.stdout)
}

func TestReportGitHubPullRequest(t *testing.T) {
	dir := tree(t, reportRepo)
	want := lintFindings(t, dir)
	rules := map[string]bool{}
	for _, f := range want {
		rules[f.Rule] = true
	}
	if !rules["create-index-non-concurrent"] || !rules["missing-lock-timeout"] {
		t.Fatalf("sample lints to %v; the test needs create-index-non-concurrent and missing-lock-timeout on 002", want)
	}
	summary := lintSummary(&lint.Result{Findings: want, Files: []lint.FileResult{{Linted: true}, {Linted: true}}})
	srv := apitest.New(t)
	var reviewed []map[string]any
	checkReview := func(body []byte) string {
		var req struct {
			CommitID string           `json:"commit_id"`
			Event    string           `json:"event"`
			Comments []map[string]any `json:"comments"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return err.Error()
		}
		if req.CommitID != rptHead || req.Event != "COMMENT" || len(req.Comments) != len(want) {
			return fmt.Sprintf("review = %s; want %d comments on the head", body, len(want))
		}
		for i, c := range req.Comments {
			b, _ := c["body"].(string)
			if c["path"] != "migrations/002_index.up.sql" || c["line"] != float64(1) || c["side"] != "RIGHT" ||
				!strings.Contains(b, "`"+want[i].Rule+"`") || !strings.Contains(b, "<!-- lockstep:fp=") {
				return fmt.Sprintf("comment %d = %v", i, c)
			}
			// A suggested change only for a one-statement rewrite: the
			// CONCURRENTLY rewrite is one; SET lock_timeout before the
			// statement is two, shown as the safe alternative.
			suggests := strings.Contains(b, "```suggestion\n")
			switch want[i].Rule {
			case "create-index-non-concurrent":
				if !suggests || !strings.Contains(b, "```suggestion\nCREATE INDEX CONCURRENTLY users_email ON users") {
					return fmt.Sprintf("comment %d has no one-click rewrite:\n%s", i, b)
				}
			case "missing-lock-timeout":
				if suggests || !strings.Contains(b, "**Safe alternative:**\n```sql\nSET lock_timeout = '2s';\nCREATE INDEX") {
					return fmt.Sprintf("comment %d: a two-statement fix must be a safe alternative, not a suggested change:\n%s", i, b)
				}
			}
		}
		reviewed = req.Comments
		return ""
	}
	var sticky string
	checkSticky := func(body []byte) string {
		var c struct{ Body string }
		json.Unmarshal(body, &c)
		if !strings.HasPrefix(c.Body, "<!-- lockstep:sticky -->\n") || !strings.Contains(c.Body, "❌ **Lint**: "+summary+" · [run](https://github.com/o/r/actions/runs/99)") {
			return "sticky = " + c.Body
		}
		sticky = c.Body
		return ""
	}
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: rptFiles},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/pulls/7/reviews", Check: checkReview, Reply: `{"id": 1}`},
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/issues/7/comments", Check: checkSticky, Status: 201, Reply: `{"id": 5}`},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + rptHead, Body: apitest.JSON(map[string]any{
			"state": "failure", "context": "lockstep/lint", "description": summary, "target_url": "https://github.com/o/r/actions/runs/99"}), Status: 201, Reply: `{}`},
	)
	vars := githubEnv(t, dir, srv.URL())
	c := runIn(t, dir, vars, "lint", "migrations")
	c.assertExit(t, exitFailed) // the findings decide, as without reporting
	srv.Verify()
	if c.stderr != "" {
		t.Errorf("stderr = %q; want nothing (all went out)", c.stderr)
	}
	if strings.Contains(c.stdout, "::error") {
		t.Errorf("stdout has annotations for findings posted as comments:\n%s", c.stdout)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "output.txt"))
	for _, k := range []string{"findings<<", "errors<<", "failed<<"} {
		if !strings.Contains(string(out), k) {
			t.Errorf("outputs lack %s:\n%s", k, out)
		}
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(s), "lockstep lint: "+summary) {
		t.Errorf("summary = %q", s)
	}

	// Second run on the same head: the comments and the sticky comment are
	// found by their markers; no review, no new comment, no edit.
	var existing []map[string]any
	for i, rc := range reviewed {
		existing = append(existing, map[string]any{"id": 10 + i, "body": rc["body"], "path": rc["path"], "line": 1,
			"user": map[string]any{"login": "github-actions[bot]", "type": "Bot"}})
	}
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/files", Query: "per_page=100", Reply: rptFiles},
		apitest.Call{Method: "GET", Path: "/repos/o/r/pulls/7/comments", Query: "per_page=100", Reply: apitest.JSON(existing)},
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 5, "body": sticky, "user": map[string]any{"login": "github-actions[bot]", "type": "Bot"}}})},
		apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + rptHead, Check: func([]byte) string { return "" }, Status: 201, Reply: `{}`},
	)
	c = runIn(t, dir, vars, "lint", "migrations")
	c.assertExit(t, exitFailed)
}

func TestReportNoneIsLintAsBefore(t *testing.T) {
	dir := tree(t, reportRepo)
	srv := apitest.New(t) // expects nothing: any request fails the test
	vars := githubEnv(t, dir, srv.URL())
	plain := lockstep(t, dir, "lint", "migrations")
	none := runIn(t, dir, vars, "lint", "migrations", "--report", "none")
	if none.code != plain.code || none.stdout != plain.stdout || none.stderr != plain.stderr {
		t.Errorf("--report none in CI = %d %q %q; want lint's own %d %q %q", none.code, none.stdout, none.stderr, plain.code, plain.stdout, plain.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.md")); err == nil {
		t.Error("--report none wrote a job summary")
	}
	// Outside CI, auto detects nothing and does nothing.
	auto := lockstep(t, dir, "lint", "migrations")
	if auto.stdout != plain.stdout || auto.stderr != plain.stderr {
		t.Error("auto outside CI changed lint's output")
	}
	// LOCKSTEP_REPORT=none does the same as the flag.
	envNone := runIn(t, dir, append(vars, "LOCKSTEP_REPORT=none"), "lint", "migrations")
	if envNone.stdout != plain.stdout || envNone.stderr != plain.stderr {
		t.Error("LOCKSTEP_REPORT=none changed lint's output")
	}
}

// Outside CI, auto must cost lint nothing: publishLint returns before it
// builds the report (a nil result would panic if it got that far).
func TestPublishLintOutsideCIDoesNoWork(t *testing.T) {
	for name, tt := range map[string]struct {
		mode string
		vars map[string]string
	}{
		"auto, no CI":                {reportAuto, nil},
		"none":                       {reportNone, nil},
		"none in GitHub Actions":     {reportNone, map[string]string{"GITHUB_ACTIONS": "true"}},
		"LOCKSTEP_REPORT=none in CI": {reportAuto, map[string]string{"GITLAB_CI": "true", "LOCKSTEP_REPORT": "none"}},
		"auto, GITHUB_ACTIONS=false": {reportAuto, map[string]string{"GITHUB_ACTIONS": "false"}},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr strings.Builder
			e := &env{stderr: &stderr, stdout: &stderr, getenv: func(k string) string { return tt.vars[k] }, workdir: t.TempDir()}
			g := &globals{report: reportOptions{mode: tt.mode, filter: "added", set: map[string]bool{"report": tt.mode != reportAuto}}}
			if err := publishLint(context.Background(), e, g, "", nil, lint.Config{}); err != nil {
				t.Fatalf("publishLint = %v", err)
			}
			if stderr.Len() > 0 {
				t.Errorf("output %q; want none", stderr.String())
			}
		})
	}
	// In CI it does build the report.
	e := &env{stderr: io.Discard, stdout: io.Discard, getenv: func(k string) string {
		return map[string]string{"GITHUB_ACTIONS": "true"}[k]
	}}
	if (reportOptions{mode: reportAuto}).target(e) != reportGitHub {
		t.Error("auto in GitHub Actions does not target github")
	}
}

func TestReportFailuresAndTheToken(t *testing.T) {
	// A git repository whose base commit lacks 002, so the local diff can
	// stand in when the API cannot list the files (and logs that it did).
	dir := tree(t, map[string]string{"migrations/001_init.up.sql": reportRepo["migrations/001_init.up.sql"]})
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "base")
	base := strings.TrimSpace(gitIn(t, dir, "rev-parse", "HEAD"))
	writeTree(t, dir, reportRepo)
	event := filepath.Join(t.TempDir(), "event.json")
	os.WriteFile(event, []byte(fmt.Sprintf(`{"number": 7, "pull_request": {"number": 7, "head": {"sha": %q, "repo": {"full_name": "o/r"}}, "base": {"sha": %q, "repo": {"full_name": "o/r"}}}}`, rptHead, base)), 0o644)
	tests := []struct {
		name     string
		required bool
		status   int
		code     int
		stderr   string
	}{
		{"rejected token warns once and keeps lint's exit code", false, 401, exitFailed,
			"lockstep: warning: reporting skipped: GitHub: list the files of pull request #7: 401 Bad credentials *** (the token is invalid or expired) (with --report-required this fails the job)\n"},
		{"--report-required makes it exit 4", true, 401, exitUnavailable,
			"lockstep: reporting failed: GitHub: list the files of pull request #7: 401 Bad credentials *** (the token is invalid or expired)\n"},
		{"server errors are retried, the local diff stands in, then reported", true, 502, exitUnavailable,
			"lockstep: reporting failed: GitHub: list the review comments of pull request #7: 502 boom ***\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := apitest.New(t)
			// The server echoes the token in its message: lockstep must not.
			msg := "Bad credentials " + rptToken
			paths := []string{"/repos/o/r/pulls/7/files"}
			if tt.status >= 500 {
				msg = "boom " + rptToken
				paths = append(paths, "/repos/o/r/pulls/7/comments")
			}
			for _, p := range paths {
				calls := 1
				if tt.status >= 500 {
					calls = 5 // the first try and four retries
				}
				for i := 0; i < calls; i++ {
					srv.Expect(apitest.Call{Method: "GET", Path: p, Query: "per_page=100", Status: tt.status,
						Reply: apitest.JSON(map[string]string{"message": msg}), Header: map[string][]string{"Retry-After": {"0"}}})
				}
			}
			args := []string{"lint", "migrations"}
			if tt.required {
				args = append(args, "--report-required")
			}
			vars := githubEnv(t, dir, srv.URL(), "LOCKSTEP_LOG=debug", "GITHUB_EVENT_PATH="+event, "HOME="+dir)
			c := runIn(t, dir, vars, args...)
			c.assertExit(t, tt.code)
			if !strings.HasSuffix(c.stderr, tt.stderr) {
				t.Errorf("stderr ends %q\nwant           %q", lastLine(c.stderr), tt.stderr)
			}
			if tt.status >= 500 && !strings.Contains(c.stderr, "using the local git diff") {
				t.Errorf("stderr = %q; want the debug log of the fallback", c.stderr)
			}
			if !strings.Contains(c.stdout, "::error ") {
				t.Errorf("stdout = %q; want the findings as annotations", c.stdout)
			}
			files := c.stdout + c.stderr
			for _, f := range []string{"summary.md", "output.txt"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				files += string(b)
			}
			if strings.Contains(files, rptToken) {
				t.Errorf("the token appears in the output or the files:\n%s", files)
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1] + "\n"
}

func TestReportForkDegrades(t *testing.T) {
	dir := tree(t, reportRepo)
	srv := apitest.New(t) // no request may come
	event := filepath.Join(t.TempDir(), "fork.json")
	os.WriteFile(event, []byte(`{"number": 8, "pull_request": {"number": 8, "head": {"sha": "h", "repo": {"full_name": "mallory/r"}}, "base": {"sha": "b", "repo": {"full_name": "o/r"}}}}`), 0o644)
	vars := append(githubEnv(t, dir, srv.URL()), "GITHUB_EVENT_PATH="+event)
	c := runIn(t, dir, vars, "lint", "migrations", "--report-required")
	c.assertExit(t, exitFailed)
	c.assertStderr(t, "lockstep: report: pull request from a fork: the token is read-only, so findings go to annotations and the job summary only")
	if strings.Count(c.stdout, "::error ") != 2 {
		t.Errorf("stdout = %q; want both findings annotated", c.stdout)
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(s), "### ❌ lockstep lint: ") {
		t.Errorf("job summary = %q; want the lint section", s)
	}
	if out, _ := os.ReadFile(filepath.Join(dir, "output.txt")); !strings.Contains(string(out), "findings<<") {
		t.Errorf("outputs = %q; want findings", out)
	}
}

// No token at all: lint prints and exits as it would, one line says
// reporting was skipped and why, the findings are annotations; with
// --report-required the run exits 4.
func TestReportGitHubNoToken(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		line string
	}{
		{nil, exitFailed, "lockstep: warning: reporting skipped: GitHub: no API token (set GITHUB_TOKEN or the action's github-token input) (with --report-required this fails the job)"},
		{[]string{"--report-required"}, exitUnavailable, "lockstep: reporting failed: GitHub: no API token (set GITHUB_TOKEN or the action's github-token input)"},
	} {
		t.Run(strings.Join(append([]string{"lint"}, tt.args...), " "), func(t *testing.T) {
			dir := tree(t, reportRepo)
			srv := apitest.New(t) // no request may come
			var vars []string
			for _, v := range githubEnv(t, dir, srv.URL()) {
				if !strings.HasPrefix(v, "GITHUB_TOKEN=") {
					vars = append(vars, v)
				}
			}
			c := runIn(t, dir, vars, append([]string{"lint", "migrations"}, tt.args...)...)
			c.assertExit(t, tt.code)
			c.assertStderr(t, tt.line)
			if strings.Count(c.stdout, "::error ") != 2 {
				t.Errorf("stdout = %q; want both findings annotated", c.stdout)
			}
		})
	}
}

func TestReportFlags(t *testing.T) {
	dir := tree(t, reportRepo)
	c := lockstep(t, dir, "lint", "migrations", "--report", "slack")
	c.assertExit(t, exitUsage)
	c.assertStderr(t, `lockstep: --report (or LOCKSTEP_REPORT) "slack": want one of auto, github, gitlab, local, none`)
	c = lockstep(t, dir, "lint", "migrations", "--filter", "changed")
	c.assertExit(t, exitUsage)
	c.assertStderr(t, `lockstep: --filter (or LOCKSTEP_FILTER): unknown filter mode "changed" (want added, diff_context, file, nofilter)`)
	// --report github outside a runner: one line, or exit 2 when required.
	c = lockstep(t, dir, "lint", "migrations", "--report", "github")
	c.assertExit(t, exitFailed)
	if !strings.Contains(c.stderr, `lockstep: warning: reporting skipped: GitHub: GITHUB_REPOSITORY="": want OWNER/REPO: incomplete CI environment`) {
		t.Errorf("stderr = %q", c.stderr)
	}
	c = lockstep(t, dir, "lint", "migrations", "--report", "github", "--report-required")
	c.assertExit(t, exitUsage)
}

func TestReportLocal(t *testing.T) {
	dir := tree(t, reportRepo)
	c := lockstep(t, dir, "lint", "migrations", "--report", "local", "--report-dir", "out")
	c.assertExit(t, exitFailed)
	c.assertStderr(t, "lockstep: report written to out/annotations.txt, out/job-summary.md, out/outputs.env, out/review-comments.md, out/statuses.txt, out/sticky-comment.md")
	review, err := os.ReadFile(filepath.Join(dir, "out", "review-comments.md"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(string(review), "#### `migrations/002_index.up.sql:1`"), len(lintFindings(t, dir)); got != want {
		t.Errorf("review-comments.md has %d comments on 002; want %d:\n%s", got, want, review)
	}
	if !strings.Contains(string(review), "```suggestion\nCREATE INDEX CONCURRENTLY users_email ON users") {
		t.Errorf("no suggested change:\n%s", review)
	}
	// An unwritable directory is a usage error.
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	c = lockstep(t, dir, "lint", "migrations", "--report", "local", "--report-dir", "file/sub")
	c.assertExit(t, exitUsage)
}

func TestReportLocalSinceFiltersByTheDiff(t *testing.T) {
	dir := tree(t, map[string]string{"migrations/001_init.up.sql": reportRepo["migrations/001_init.up.sql"]})
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "base")
	// 001 gains an index (a changed file), 002 is new and untracked.
	writeTree(t, dir, map[string]string{
		"migrations/001_init.up.sql":  reportRepo["migrations/001_init.up.sql"] + "CREATE INDEX users_id2 ON users (id);\n",
		"migrations/002_index.up.sql": reportRepo["migrations/002_index.up.sql"],
	})
	c := runIn(t, dir, []string{"HOME=" + dir}, "lint", "migrations", "--report", "local", "--report-dir", "out", "--since", "HEAD")
	if c.code != exitFailed {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
	review, _ := os.ReadFile(filepath.Join(dir, "out", "review-comments.md"))
	if !strings.Contains(string(review), "#### `migrations/002_index.up.sql:1`") {
		t.Errorf("the untracked new file is not in the review:\n%s", review)
	}
}

func TestWholeLines(t *testing.T) {
	tests := []struct {
		name, text, suggestion string
		pos                    lint.Pos
		want                   string
	}{
		{"statement text plus semicolon", "CREATE INDEX i ON t (c);\n", "CREATE INDEX CONCURRENTLY i ON t (c);",
			lint.Pos{Line: 1, Col: 1, EndLine: 1, EndCol: 23}, "CREATE INDEX CONCURRENTLY i ON t (c);"},
		{"indented, with a trailing comment", "  CREATE INDEX i ON t (c); -- why\n", "CREATE INDEX CONCURRENTLY i ON t (c);",
			lint.Pos{Line: 1, Col: 3, EndLine: 1, EndCol: 25}, "  CREATE INDEX CONCURRENTLY i ON t (c); -- why"},
		{"already whole lines", "ALTER TABLE t\n  ALTER c SET NOT NULL;\n", "SET lock_timeout = '2s';\nALTER TABLE t\n  ALTER c SET NOT NULL;",
			lint.Pos{Line: 1, Col: 1, EndLine: 2, EndCol: 22}, "SET lock_timeout = '2s';\nALTER TABLE t\n  ALTER c SET NOT NULL;"},
		{"a multi-line rewrite keeps the indent", "  ALTER TABLE t ADD c int;\n", "ALTER TABLE t ADD c int;\nALTER TABLE t ADD d int;",
			lint.Pos{Line: 1, Col: 3, EndLine: 1, EndCol: 25}, "  ALTER TABLE t ADD c int;\n  ALTER TABLE t ADD d int;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wholeLines(lint.NewSource("f.sql", tt.text), lint.Finding{Pos: tt.pos, Suggestion: tt.suggestion})
			if got != tt.want {
				t.Errorf("wholeLines = %q; want %q", got, tt.want)
			}
		})
	}
}

// The merge request's diff as GitLab lists it: 002 added.
var rptMRDiffs = apitest.JSON([]map[string]any{{"old_path": "migrations/002_index.up.sql", "new_path": "migrations/002_index.up.sql", "new_file": true,
	"diff": "@@ -0,0 +1 @@\n+CREATE INDEX users_email ON users (email);\n"}})

func TestReportGitLabMergeRequest(t *testing.T) {
	dir := tree(t, reportRepo)
	want := lintFindings(t, dir)
	const (
		mr     = "/api/v4/projects/42/merge_requests/5"
		job    = "https://gitlab.example.com/g/p/-/jobs/31"
		base   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		start  = "cccccccccccccccccccccccccccccccccccccccc"
		thread = "migrations/002_index.up.sql"
	)
	summary := lintSummary(&lint.Result{Findings: want, Files: []lint.FileResult{{Linted: true}, {Linted: true}}})
	me := map[string]any{"username": "lockstep-bot"}
	versions := apitest.Call{Method: "GET", Path: mr + "/versions", Reply: apitest.JSON([]map[string]any{
		{"id": 3, "head_commit_sha": rptHead, "base_commit_sha": base, "start_commit_sha": start}})}
	diffs := apitest.Call{Method: "GET", Path: mr + "/diffs", Query: "per_page=100", Reply: rptMRDiffs}
	var posted []string
	// Each thread sits on the added line 1 of 002, positioned with the
	// merge request's own diff refs: new_line only (an added line), both
	// paths the new path (an added file).
	discussion := func(b []byte) string {
		var req struct {
			Body     string         `json:"body"`
			Position map[string]any `json:"position"`
		}
		if err := json.Unmarshal(b, &req); err != nil {
			return err.Error()
		}
		wantPos := map[string]any{"position_type": "text", "base_sha": base, "start_sha": start, "head_sha": rptHead,
			"old_path": thread, "new_path": thread, "new_line": float64(1)}
		if d := cmp.Diff(wantPos, req.Position); d != "" {
			return "position (-want +got):\n" + d
		}
		i := len(posted)
		if i >= len(want) || !strings.Contains(req.Body, "`"+want[i].Rule+"`") || !strings.Contains(req.Body, "<!-- lockstep:fp=") {
			return "unexpected thread:\n" + req.Body
		}
		// GitLab's suggestion fence names the lines it replaces.
		if want[i].Rule == "create-index-non-concurrent" && !strings.Contains(req.Body, "```suggestion:-0+0\nCREATE INDEX CONCURRENTLY users_email ON users") {
			return "no suggested change:\n" + req.Body
		}
		posted = append(posted, req.Body)
		return ""
	}
	var sticky string
	note := func(b []byte) string {
		var n struct{ Body string }
		json.Unmarshal(b, &n)
		if !strings.HasPrefix(n.Body, "<!-- lockstep:sticky -->\n") || !strings.Contains(n.Body, "❌ **Lint**: "+summary+" · [run]("+job+")") {
			return "note = " + n.Body
		}
		sticky = n.Body
		return ""
	}
	status := apitest.Call{Method: "POST", Path: "/api/v4/projects/42/statuses/" + rptHead, Body: apitest.JSON(map[string]any{
		"state": "failed", "name": "lockstep/lint", "description": summary, "target_url": job, "ref": "feature", "pipeline_id": 1234}), Status: 201, Reply: `{}`}
	srv := apitest.New(t)
	srv.Expect(apitest.Call{Method: "GET", Path: "/api/v4/user", Reply: `{"id": 9, "username": "lockstep-bot"}`}, versions, diffs,
		apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: `[]`})
	for range want {
		srv.Expect(apitest.Call{Method: "POST", Path: mr + "/discussions", Check: discussion, Status: 201, Reply: `{"id": "d"}`})
	}
	srv.Expect(
		apitest.Call{Method: "GET", Path: mr + "/notes", Query: "order_by=created_at&sort=asc&per_page=100", Reply: `[]`},
		apitest.Call{Method: "POST", Path: mr + "/notes", Check: note, Status: 201, Reply: `{"id": 71}`},
		status,
	)
	// As templates/lockstep.yml runs it: the Code Quality report beside.
	args := []string{"lint", "migrations", "--write", "gitlab=gl-code-quality-report.json", "--report-dir", ".lockstep"}
	vars := gitlabEnv(srv.URL())
	c := runIn(t, dir, vars, args...)
	c.assertExit(t, exitFailed)
	srv.Verify()
	if c.stderr != "" {
		t.Errorf("stderr = %q; want nothing (all went out)", c.stderr)
	}
	var cq []struct {
		CheckName   string `json:"check_name"`
		Fingerprint string `json:"fingerprint"`
		Severity    string `json:"severity"`
		Location    struct {
			Path  string `json:"path"`
			Lines struct {
				Begin int `json:"begin"`
			} `json:"lines"`
		} `json:"location"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "gl-code-quality-report.json"))
	if err != nil || json.Unmarshal(raw, &cq) != nil || len(cq) != len(want) {
		t.Fatalf("Code Quality report %s (%v); want %d issues", raw, err, len(want))
	}
	for i, is := range cq {
		if is.CheckName != want[i].Rule || is.Fingerprint == "" || is.Location.Path != thread || is.Location.Lines.Begin != 1 {
			t.Errorf("Code Quality issue %d = %+v", i, is)
		}
	}
	env, _ := os.ReadFile(filepath.Join(dir, ".lockstep", "lockstep.env"))
	if !strings.Contains(string(env), fmt.Sprintf("LOCKSTEP_FINDINGS=%d\n", len(want))) || !strings.Contains(string(env), "LOCKSTEP_FAILED=true\n") {
		t.Errorf("dotenv = %q", env)
	}

	// Second pipeline on the same head: the threads and the note are found
	// by their markers; nothing is posted twice.
	var threads []map[string]any
	for i, b := range posted {
		threads = append(threads, map[string]any{"id": fmt.Sprintf("d%d", i), "notes": []map[string]any{{"id": 100 + i, "body": b, "author": me, "resolvable": true}}})
	}
	srv.Expect(apitest.Call{Method: "GET", Path: "/api/v4/user", Reply: `{"id": 9, "username": "lockstep-bot"}`}, versions, diffs,
		apitest.Call{Method: "GET", Path: mr + "/discussions", Query: "per_page=100", Reply: apitest.JSON(threads)},
		apitest.Call{Method: "GET", Path: mr + "/notes", Query: "order_by=created_at&sort=asc&per_page=100", Reply: apitest.JSON([]map[string]any{{"id": 71, "body": sticky, "author": me}})},
		status,
	)
	c = runIn(t, dir, vars, args...)
	c.assertExit(t, exitFailed)
	srv.Verify()
	for _, r := range srv.Requests() {
		if r.Header.Get("PRIVATE-TOKEN") != glToken {
			t.Errorf("%s %s: PRIVATE-TOKEN = %q", r.Method, r.Path, r.Header.Get("PRIVATE-TOKEN"))
		}
	}
	if strings.Contains(c.stdout+c.stderr+string(raw)+string(env), glToken) {
		t.Error("the token appears in the output or the files")
	}
}

// With only CI_JOB_TOKEN, which the merge request APIs refuse: lint's own
// output, exit code and Code Quality report stay; one line says what to
// set; --report-required makes it exit 4.
func TestReportGitLabJobTokenOnly(t *testing.T) {
	const jobToken = "glcbt-64_jobTokenValue42"
	for _, required := range []bool{false, true} {
		t.Run(fmt.Sprintf("required=%v", required), func(t *testing.T) {
			dir := tree(t, reportRepo)
			srv := apitest.New(t)
			const mr = "/api/v4/projects/42/merge_requests/5"
			srv.Expect(
				apitest.Call{Method: "GET", Path: mr + "/versions", Status: 401, Reply: `{"message": "401 Unauthorized"}`},
			)
			var vars []string
			for _, v := range gitlabEnv(srv.URL()) {
				if !strings.HasPrefix(v, "GITLAB_TOKEN=") {
					vars = append(vars, v)
				}
			}
			vars = append(vars, "CI_JOB_TOKEN="+jobToken)
			args := []string{"lint", "migrations", "--write", "gitlab=cq.json"}
			code, line := exitFailed, "lockstep: warning: reporting skipped: GitLab: read the versions of merge request !5: 401 Unauthorized (CI_JOB_TOKEN may not use the merge request and commit status APIs: set GITLAB_TOKEN to a project access token with the api scope and Developer access) (with --report-required this fails the job)"
			if required {
				args = append(args, "--report-required")
				code, line = exitUnavailable, "lockstep: reporting failed: GitLab: read the versions of merge request !5: 401 Unauthorized (CI_JOB_TOKEN may not use the merge request and commit status APIs: set GITLAB_TOKEN to a project access token with the api scope and Developer access)"
			}
			c := runIn(t, dir, vars, args...)
			c.assertExit(t, code)
			srv.Verify()
			c.assertStderr(t, line)
			plain := lockstep(t, tree(t, reportRepo), "lint", "migrations")
			if c.stdout != plain.stdout {
				t.Errorf("stdout = %q; want lint's own %q", c.stdout, plain.stdout)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "cq.json")); err != nil || !strings.Contains(string(b), `"check_name": "create-index-non-concurrent"`) {
				t.Errorf("Code Quality report = %s, %v", b, err)
			}
			for _, r := range srv.Requests() {
				if r.Header.Get("JOB-TOKEN") != jobToken {
					t.Errorf("%s %s: JOB-TOKEN = %q", r.Method, r.Path, r.Header.Get("JOB-TOKEN"))
				}
			}
			if strings.Contains(c.stdout+c.stderr, jobToken) {
				t.Error("the job token appears in the output")
			}
		})
	}
}

// The Code Quality artifact names files relative to the project root
// (CI_PROJECT_DIR, else the git top level), however lint was pointed at
// them: the merge request widget only matches repository-relative paths.
func TestReportCodeQualityPaths(t *testing.T) {
	dir := tree(t, reportRepo)
	sub := filepath.Join(dir, "migrations")
	tests := []struct {
		name    string
		workdir string
		vars    []string
		args    []string
	}{
		{"absolute path", dir, []string{"CI_PROJECT_DIR=" + dir}, []string{filepath.Join(dir, "migrations")}},
		{"run from a subdirectory", sub, []string{"CI_PROJECT_DIR=" + dir}, []string{"."}},
		{"dot-slash path", dir, []string{"CI_PROJECT_DIR=" + dir}, []string{"./migrations/"}},
		{"git top level without CI_PROJECT_DIR", sub, []string{"HOME=" + dir}, []string{"."}},
	}
	gitIn(t, dir, "init", "-q")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "gl-code-quality-report.json")
			args := append(append([]string{"lint"}, tt.args...), "--report", "none", "--write", "gitlab="+out)
			c := runIn(t, tt.workdir, tt.vars, args...)
			c.assertExit(t, exitFailed)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var issues []struct {
				Location struct{ Path string } `json:"location"`
			}
			if err := json.Unmarshal(b, &issues); err != nil || len(issues) == 0 {
				t.Fatalf("report = %s (%v); want issues", b, err)
			}
			for _, is := range issues {
				if is.Location.Path != "migrations/002_index.up.sql" {
					t.Errorf("location.path = %q; want migrations/002_index.up.sql", is.Location.Path)
				}
			}
		})
	}
}
