package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/apitest"
	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator/plan"
	"github.com/lockstep-dev/lockstep/report"
)

const runURL = "https://github.com/o/r/actions/runs/99"

// stickyCheck checks a sticky comment body sent as {"body": ...}: it is
// lockstep's, keeps kept byte for byte, has exactly one section of stage
// whose status line is line, and stores the body in *got.
func stickyCheck(t *testing.T, kept string, stage report.Stage, line string, got *string) func([]byte) string {
	return func(b []byte) string {
		var c struct{ Body string }
		if err := json.Unmarshal(b, &c); err != nil {
			return err.Error()
		}
		switch {
		case !strings.HasPrefix(c.Body, "<!-- lockstep:sticky -->\n"):
			return "no sticky marker first:\n" + c.Body
		case kept != "" && !strings.Contains(c.Body, kept):
			return "another stage's section changed:\n" + c.Body
		case strings.Count(c.Body, "<!-- lockstep:section="+string(stage)+" -->") != 1:
			return "want exactly one " + string(stage) + " section:\n" + c.Body
		case !strings.Contains(c.Body, "<!-- lockstep:section="+string(stage)+" -->\n"+line+"\n<details><summary>Details</summary>"):
			return "want the status line " + line + " over folded details:\n" + c.Body
		case kept != "" && strings.Index(c.Body, kept) > strings.Index(c.Body, "<!-- lockstep:section="+string(stage)):
			return "sections out of stage order:\n" + c.Body
		}
		*got = c.Body
		return ""
	}
}

var planRepo = map[string]string{"migrations/001_init.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n"}

func TestReportPlanSection(t *testing.T) {
	bot := map[string]any{"login": "github-actions[bot]", "type": "Bot"}
	lintSec := report.Section{Stage: report.StageLint, State: report.StateSuccess, Summary: "no findings in 1 file", URL: runURL}
	existing := report.MergeSticky("", []report.Section{lintSec}, "", report.GitHubCommentLimit)
	summary := "`lockstep plan rename-column users.name full_name`: 3 files, 1 expand, 1 backfill, 1 contract written"
	status := apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/" + rptHead, Body: apitest.JSON(map[string]any{
		"state": "success", "context": "lockstep/plan", "description": strings.ReplaceAll(summary, "`", ""), "target_url": runURL}), Status: 201, Reply: `{}`}

	srv := apitest.New(t)
	var sticky string
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 4, "body": "LGTM", "user": map[string]any{"login": "alice", "type": "User"}},
			{"id": 5, "body": existing, "user": bot}})},
		// edited in place, the lint section kept as it was
		apitest.Call{Method: "PATCH", Path: "/repos/o/r/issues/comments/5",
			Check: stickyCheck(t, report.RenderSection(lintSec), report.StagePlan, "✅ **Plan**: "+summary+" · [run]("+runURL+")", &sticky), Reply: `{"id": 5}`},
		status,
	)
	dir := tree(t, planRepo)
	plain := lockstep(t, tree(t, planRepo), "plan", "rename-column", "users.name", "full_name")
	c := runIn(t, dir, githubEnv(t, dir, srv.URL()), "plan", "rename-column", "users.name", "full_name")
	c.assertExit(t, exitOK)
	srv.Verify()
	if c.stdout != plain.stdout || c.stderr != "" {
		t.Errorf("plan printed %q, %q while reporting; want its own output %q and nothing on stderr", c.stdout, c.stderr, plain.stdout)
	}
	for _, f := range []string{"002_rename_users_name_to_full_name_expand.up.sql", "004_rename_users_name_to_full_name_contract.up.sql"} {
		if !strings.Contains(sticky, "<code>"+f+"</code></summary>\n\n```sql\n-- lockstep:phase") {
			t.Errorf("the section does not fold %s's SQL:\n%s", f, sticky)
		}
	}
	if !strings.Contains(sticky, "**App code, release by release**") || !strings.Contains(sticky, "- [ ] read and write users.full_name") {
		t.Errorf("the section has no app-code checklist:\n%s", sticky)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "output.txt"))
	for _, k := range []string{"plan<<", "files<<", "written<<"} {
		if !strings.Contains(string(out), k) {
			t.Errorf("outputs lack %s:\n%s", k, out)
		}
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(s), "### ✅ lockstep plan: "+summary) {
		t.Errorf("job summary = %q", s)
	}

	// The same plan again (another checkout): the comment is found by its
	// marker and already says this; nothing is posted or edited.
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/repos/o/r/issues/7/comments", Query: "per_page=100", Reply: apitest.JSON([]map[string]any{
			{"id": 5, "body": sticky, "user": bot}})},
		status,
	)
	dir = tree(t, planRepo)
	c = runIn(t, dir, githubEnv(t, dir, srv.URL()), "plan", "rename-column", "users.name", "full_name")
	c.assertExit(t, exitOK)
}

func TestPlanReportRefused(t *testing.T) {
	p := &plan.Plan{Command: "lockstep plan add-unique users.email", Files: []plan.File{{Name: "0002_x.up.sql", Phase: lint.Expand, Summary: "build | the index", SQL: "CREATE UNIQUE INDEX CONCURRENTLY x ON users (email);\n"}}}
	r := planReport(p, "db", false, nil, []string{"db/0002_x.up.sql:1: some-rule: `x` is bad"})
	sec := r.Sections[0]
	if sec.State != report.StateFailure || sec.Summary != "`lockstep plan add-unique users.email`: lint finds 1 error in the files, nothing written" {
		t.Errorf("section = %s %q", sec.State, sec.Summary)
	}
	for _, want := range []string{"- `db/0002_x.up.sql:1: some-rule: 'x' is bad`", "| 1 | expand | `db/0002_x.up.sql` | build \\| the index |"} {
		if !strings.Contains(sec.Markdown, want) {
			t.Errorf("details lack %q:\n%s", want, sec.Markdown)
		}
	}
	if r.Statuses[0].State != report.StateFailure || r.Outputs["failed"] != "true" || r.Outputs["written"] != "false" || r.Outputs["files"] != "db/0002_x.up.sql" {
		t.Errorf("status %+v, outputs %v", r.Statuses[0], r.Outputs)
	}
}

// gitlabEnv is a GitLab merge request pipeline's environment: MR !5 of
// project 42, talking to api.
func gitlabEnv(api string, extra ...string) []string {
	return append([]string{"GITLAB_CI=true", "CI_API_V4_URL=" + api + "/api/v4", "CI_PROJECT_ID=42", "CI_MERGE_REQUEST_IID=5",
		"CI_COMMIT_SHA=" + rptHead, "CI_COMMIT_REF_NAME=feature", "CI_PIPELINE_ID=1234", "CI_JOB_URL=https://gitlab.example.com/g/p/-/jobs/31",
		"GITLAB_TOKEN=" + glToken}, extra...)
}

const glToken = "glpat-cmdTestTokenValue42"

func TestReportMigrateGitLab(t *testing.T) {
	db := pgtest.Database(t)
	dir := tree(t, map[string]string{
		"migrations/001_users.up.sql": "-- lockstep:phase expand\nCREATE TABLE users (id bigint PRIMARY KEY, name text, legacy text);\n",
		"migrations/002_drop.up.sql":  "-- lockstep:phase contract\nSET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy;\n",
	})
	const (
		mr  = "/api/v4/projects/42/merge_requests/5"
		job = "https://gitlab.example.com/g/p/-/jobs/31"
	)
	me := map[string]any{"username": "lockstep-bot"}
	lintSec := report.Section{Stage: report.StageLint, State: report.StateSuccess, Summary: "no findings in 2 files", URL: job}
	existing := report.MergeSticky("", []report.Section{lintSec}, "", report.GitLabNoteLimit)
	notes := func(body string) apitest.Call {
		return apitest.Call{Method: "GET", Path: mr + "/notes", Query: "order_by=created_at&sort=asc&per_page=100",
			Reply: apitest.JSON([]map[string]any{{"id": 70, "body": "merged main", "system": true, "author": me}, {"id": 71, "body": body, "author": me}})}
	}
	status := func(desc string) apitest.Call {
		return apitest.Call{Method: "POST", Path: "/api/v4/projects/42/statuses/" + rptHead, Body: apitest.JSON(map[string]any{
			"state": "success", "name": "lockstep/migrate", "description": desc, "target_url": job, "ref": "feature", "pipeline_id": 1234}), Status: 201, Reply: `{}`}
	}
	srv := apitest.New(t)
	vars := gitlabEnv(srv.URL(), "LOCKSTEP_DATABASE_URL="+db)

	// expand: the note gains a migrate section; lint's stays.
	var sticky string
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/api/v4/user", Reply: `{"id": 9, "username": "lockstep-bot"}`},
		notes(existing),
		apitest.Call{Method: "PUT", Path: mr + "/notes/71", Check: stickyCheck(t, report.RenderSection(lintSec), report.StageMigrate,
			"✅ **Migrate**: expand v1: 1 applied, 0 waiting · [run]("+job+")", &sticky), Reply: `{"id": 71}`},
		status("expand v1: 1 applied, 0 waiting"),
	)
	c := runIn(t, dir, vars, "migrate", "expand", "--release", "v1", "--report-dir", "out")
	c.assertExit(t, exitOK)
	srv.Verify()
	if !strings.Contains(sticky, "| `001_users` | expand | applied in ") {
		t.Errorf("the migrate section does not list the applied file:\n%s", sticky)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "out", "lockstep.env"))
	for _, kv := range []string{"LOCKSTEP_PHASE=expand\n", "LOCKSTEP_RELEASE=v1\n", "LOCKSTEP_APPLIED=1\n", "LOCKSTEP_WAITING=0\n", "LOCKSTEP_FAILED=false\n"} {
		if !strings.Contains(string(env), kv) {
			t.Errorf("dotenv lacks %q:\n%s", kv, env)
		}
	}

	// contract of v1 itself: scheduled for a later release, so it waits
	// without failing; the migrate section is replaced, lint's kept, and
	// there is still one note.
	first := sticky
	srv.Expect(
		apitest.Call{Method: "GET", Path: "/api/v4/user", Reply: `{"id": 9, "username": "lockstep-bot"}`},
		notes(first),
		apitest.Call{Method: "PUT", Path: mr + "/notes/71", Check: stickyCheck(t, report.RenderSection(lintSec), report.StageMigrate,
			"✅ **Migrate**: contract v1: 0 applied, 1 waiting · [run]("+job+")", &sticky), Reply: `{"id": 71}`},
		status("contract v1: 0 applied, 1 waiting"),
	)
	c = runIn(t, dir, vars, "migrate", "contract", "--release", "v1")
	c.assertExit(t, exitOK)
	srv.Verify()
	if strings.Contains(sticky, "expand v1: 1 applied") {
		t.Errorf("the old migrate section is still there:\n%s", sticky)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("PRIVATE-TOKEN") != glToken {
			t.Errorf("%s %s: PRIVATE-TOKEN = %q", r.Method, r.Path, r.Header.Get("PRIVATE-TOKEN"))
		}
	}
	if strings.Contains(c.stdout+c.stderr, glToken) {
		t.Error("the token appears in the output")
	}
}

// A database that cannot be reached: migrate exits 4 as before, and the
// status says why, without the URL's password.
func TestReportMigrateUnreachableGitHub(t *testing.T) {
	dir := tree(t, map[string]string{"migrations/001_users.up.sql": "-- lockstep:phase expand\nCREATE TABLE users (id bigint PRIMARY KEY);\n"})
	const password = "hunter2isAsecret"
	srv := apitest.New(t)
	noPR := filepath.Join(t.TempDir(), "push.json")
	os.WriteFile(noPR, []byte(`{"ref": "refs/heads/main"}`), 0o644)
	srv.Expect(apitest.Call{Method: "POST", Path: "/repos/o/r/statuses/3333", Check: func(b []byte) string {
		var s map[string]string
		json.Unmarshal(b, &s)
		if s["state"] != "error" || s["context"] != "lockstep/migrate" || !strings.HasPrefix(s["description"], "expand v2: ") || s["target_url"] != runURL {
			return "status = " + string(b)
		}
		if strings.Contains(string(b), password) {
			return "the password is in the status: " + string(b)
		}
		return ""
	}, Status: 201, Reply: `{}`})
	vars := append(githubEnv(t, dir, srv.URL()), "GITHUB_EVENT_PATH="+noPR, "GITHUB_EVENT_NAME=push",
		"LOCKSTEP_DATABASE_URL=postgres://deploy:"+password+"@127.0.0.1:1/app?connect_timeout=2")
	c := runIn(t, dir, vars, "migrate", "expand", "--release", "v2", "--lock-wait", "1s")
	c.assertExit(t, exitUnavailable)
	srv.Verify()
	files := c.stdout + c.stderr
	for _, f := range []string{"summary.md", "output.txt"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		files += string(b)
	}
	if strings.Contains(files, password) {
		t.Errorf("the password appears in the output:\n%s", files)
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(s), "### ⚠️ lockstep migrate: expand v2: ") {
		t.Errorf("job summary = %q", s)
	}
}
