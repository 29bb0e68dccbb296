package main

// Tests of how lockstep is packaged: the GitHub Action (action.yml), the
// example workflows (actionlint, as a library), the GitLab CI/CD component
// (templates/lockstep.yml) and its example, and the Dockerfile.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/rhysd/actionlint"
)

const repoRoot = "../.."

func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type actionMeta struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Name  string            `yaml:"name"`
			Uses  string            `yaml:"uses"`
			Run   string            `yaml:"run"`
			Shell string            `yaml:"shell"`
			Dir   string            `yaml:"working-directory"`
			With  map[string]string `yaml:"with"`
			Env   map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func TestActionMetadata(t *testing.T) {
	raw := readRepoFile(t, "action.yml")
	var a actionMeta
	if err := yaml.UnmarshalWithOptions(raw, &a, yaml.Strict()); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" || utf8.RuneCountInString(a.Description) > 125 {
		t.Errorf("name %q, description of %d characters: the Marketplace wants both, the description at most 125", a.Name, utf8.RuneCountInString(a.Description))
	}
	// Feather icons the Marketplace accepts include shield; the colours are a fixed set.
	if a.Branding.Icon == "" || !slices.Contains([]string{"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}, a.Branding.Color) {
		t.Errorf("branding = %+v", a.Branding)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q; want composite (no image to publish)", a.Runs.Using)
	}
	for _, in := range []string{"command", "path", "args", "config", "pg-version", "fail-on", "filter", "report", "github-token", "database-url", "version"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("input %s missing", in)
		}
	}
	if d := a.Inputs["github-token"].Default; d == nil || *d != "${{ github.token }}" {
		t.Errorf("github-token default = %v; want ${{ github.token }}", d)
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Required {
			t.Errorf("input %s is required; every input has a default", name)
		}
	}
	var setupGo, runStep bool
	used := map[string]bool{}
	inputRef := regexp.MustCompile(`\$\{\{\s*inputs\.([a-z0-9-]+)\s*\}\}`)
	for i, s := range a.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %d (%s) runs a script without shell: (composite actions need it)", i, s.Name)
		}
		if strings.HasPrefix(s.Uses, "actions/setup-go@") {
			setupGo = true
			if s.With["cache"] != "true" || !strings.Contains(s.With["go-version-file"], "github.action_path") {
				t.Errorf("setup-go with %v; want the cache and the action's go.mod", s.With)
			}
		}
		if s.ID == "run" {
			runStep = true
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %d interpolates an expression into its script; pass it through env: (injection)", i)
		}
		for _, v := range append(append(mapValues(s.Env), mapValues(s.With)...), s.Dir) {
			for _, m := range inputRef.FindAllStringSubmatch(v, -1) {
				used[m[1]] = true
			}
		}
		if strings.Contains(s.Run, "go build") && !strings.Contains(s.Run, "./cmd/lockstep") {
			t.Errorf("the build step does not build ./cmd/lockstep")
		}
	}
	if !setupGo || !runStep {
		t.Errorf("want an actions/setup-go step and a step with id run")
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}
	for name := range used {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("inputs.%s is used but not declared", name)
		}
	}
	for name, o := range a.Outputs {
		if o.Description == "" || !regexp.MustCompile(`^\$\{\{ steps\.run\.outputs\.`+regexp.QuoteMeta(name)+` \}\}$`).MatchString(o.Value) {
			t.Errorf("output %s = %+v; want a description and the run step's output", name, o)
		}
	}
	for _, want := range []string{"findings", "errors", "warnings", "open", "exit-code"} {
		if _, ok := a.Outputs[want]; !ok {
			t.Errorf("output %s missing", want)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestExampleWorkflows runs actionlint on every example workflow as
// published (uses: lockstep-dev/lockstep@v1) and with the action replaced by
// this checkout (uses: ./), so actionlint also checks every input against
// action.yml.
func TestExampleWorkflows(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "examples", "github-*.yml"))
	if len(files) < 2 {
		t.Fatalf("examples = %v; want the lint and the deploy workflow", files)
	}
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(content, []byte("uses: lockstep-dev/lockstep@v1")) {
			t.Errorf("%s does not use the action", f)
		}
		local := bytes.ReplaceAll(content, []byte("lockstep-dev/lockstep@v1"), []byte("./"))
		for name, c := range map[string][]byte{"as published": content, "uses: ./": local} {
			var out bytes.Buffer
			l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{WorkingDir: root})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(f, c, proj)
			if err != nil {
				t.Fatalf("%s (%s): %v", f, name, err)
			}
			for _, e := range errs {
				t.Errorf("%s (%s): %s", filepath.Base(f), name, e.Error())
			}
		}
	}
	// The workflows in the README's "GitHub Actions" section: the lint
	// workflow and the deploy pipeline, as a reader copies them.
	blocks := readmeBlocks(t, "GitHub Actions", "yaml")
	var workflows int
	for i, b := range blocks {
		if !strings.Contains(b, "\njobs:\n") {
			continue
		}
		workflows++
		name := fmt.Sprintf("README.md GitHub Actions block %d", i+1)
		if !strings.Contains(b, "uses: lockstep-dev/lockstep@v1") {
			t.Errorf("%s does not use the action", name)
		}
		local := strings.ReplaceAll(b, "lockstep-dev/lockstep@v1", "./")
		for kind, c := range map[string]string{"as published": b, "uses: ./": local} {
			l, err := actionlint.NewLinter(&bytes.Buffer{}, &actionlint.LinterOptions{WorkingDir: root})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(filepath.Join(root, ".github", "workflows", fmt.Sprintf("readme-%d.yml", i+1)), []byte(c), proj)
			if err != nil {
				t.Fatalf("%s (%s): %v", name, kind, err)
			}
			for _, e := range errs {
				t.Errorf("%s (%s): %s", name, kind, e.Error())
			}
		}
	}
	if workflows < 2 {
		t.Errorf("the README's GitHub Actions section has %d workflows; want the lint workflow and the deploy pipeline", workflows)
	}
	lintWF, deployWF := "", ""
	for _, b := range blocks {
		switch {
		case strings.Contains(b, "pull_request:"):
			lintWF = b
		case strings.Contains(b, "command: deploy"):
			deployWF = b
		}
	}
	if !strings.Contains(lintWF, "permissions:\n  contents: read\n  pull-requests: write") || strings.Contains(lintWF, "write-all") {
		t.Errorf("the README's lint workflow does not ask for minimal permissions:\n%s", lintWF)
	}
	order := []string{"command: gate", "command: migrate expand", "command: deploy", "command: migrate contract"}
	last := -1
	for _, c := range order {
		i := strings.Index(deployWF, c)
		if i <= last {
			t.Errorf("the README's deploy pipeline lacks %q after the previous stage (want %s in order)", c, strings.Join(order, " → "))
		}
		last = i
	}
	if !strings.Contains(deployWF, "environment:") {
		t.Error("the README's deploy pipeline has no environment:")
	}

	// The local-action check is real: an unknown input fails.
	bad := []byte("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          no-such-input: 1\n")
	l, _ := actionlint.NewLinter(&bytes.Buffer{}, &actionlint.LinterOptions{WorkingDir: root})
	errs, err := l.Lint(filepath.Join(root, ".github", "workflows", "probe.yml"), bad, proj)
	if err != nil || len(errs) == 0 || !strings.Contains(errs[0].Error(), "no-such-input") {
		t.Errorf("actionlint on an unknown input = %v, %v; want it flagged", errs, err)
	}
}

// readmeBlocks returns the fenced code blocks tagged lang in the README's
// section named title ("## title" up to the next "## ").
func readmeBlocks(t *testing.T, title, lang string) []string {
	t.Helper()
	readme := string(readRepoFile(t, "README.md"))
	_, sec, ok := strings.Cut(readme, "\n## "+title+"\n")
	if !ok {
		t.Fatalf("README.md has no section %q", title)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var out []string
	for {
		_, rest, ok := strings.Cut(sec, "\n```"+lang+"\n")
		if !ok {
			return out
		}
		block, after, ok := strings.Cut(rest, "\n```\n")
		if !ok {
			t.Fatalf("README.md %s: an unclosed ```%s block", title, lang)
		}
		out = append(out, block+"\n")
		sec = "\n" + after
	}
}

// gitlabInputs is the spec header of a GitLab CI/CD component.
type gitlabSpec struct {
	Spec struct {
		Inputs map[string]struct {
			Description string `yaml:"description"`
			Default     any    `yaml:"default"`
			Type        string `yaml:"type"`
			Options     []any  `yaml:"options"`
		} `yaml:"inputs"`
	} `yaml:"spec"`
}

func TestGitLabComponent(t *testing.T) {
	raw := string(readRepoFile(t, "templates/lockstep.yml"))
	head, body, ok := strings.Cut(raw, "\n---\n")
	if !ok {
		t.Fatal("templates/lockstep.yml: want a spec header, ---, then the job")
	}
	var spec gitlabSpec
	if err := yaml.UnmarshalWithOptions([]byte(head), &spec, yaml.Strict()); err != nil {
		t.Fatalf("spec: %v", err)
	}
	inputs := spec.Spec.Inputs
	for _, want := range []string{"stage", "args", "image", "command", "filter", "report", "rules"} {
		if _, ok := inputs[want]; !ok {
			t.Errorf("spec.inputs.%s missing", want)
		}
	}
	for name, in := range inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Options != nil && in.Default != nil && !slices.Contains(in.Options, in.Default) {
			t.Errorf("input %s: default %v is not among its options %v", name, in.Default, in.Options)
		}
	}
	// Every $[[ inputs.x ]] the job uses is declared, and every declared
	// input is used.
	refs := regexp.MustCompile(`\$\[\[\s*inputs\.([a-z0-9_-]+)\s*\]\]`).FindAllStringSubmatch(body, -1)
	used := map[string]bool{}
	for _, m := range refs {
		used[m[1]] = true
		if _, ok := inputs[m[1]]; !ok {
			t.Errorf("the job uses inputs.%s, which the spec does not define", m[1])
		}
	}
	for name := range inputs {
		if !used[name] {
			t.Errorf("input %s is defined but unused", name)
		}
	}
	// The job, with inputs replaced by placeholders, is YAML with the
	// reports GitLab reads.
	job := regexp.MustCompile(`\$\[\[\s*inputs\.rules\s*\]\]`).ReplaceAllString(body, "[{when: always}]")
	job = regexp.MustCompile(`\$\[\[\s*inputs\.([a-z0-9_-]+)\s*\]\]`).ReplaceAllString(job, "X-$1")
	var jobs map[string]struct {
		Stage     string `yaml:"stage"`
		Image     any    `yaml:"image"`
		Script    []string
		Artifacts struct {
			When    string            `yaml:"when"`
			Reports map[string]string `yaml:"reports"`
		} `yaml:"artifacts"`
		Variables map[string]string `yaml:"variables"`
		Rules     []map[string]any  `yaml:"rules"`
	}
	if err := yaml.Unmarshal([]byte(job), &jobs); err != nil {
		t.Fatalf("job: %v", err)
	}
	j, ok := jobs["X-name"]
	if !ok || len(jobs) != 1 {
		t.Fatalf("jobs = %v; want one, named by the name input", keys(jobs))
	}
	if j.Artifacts.Reports["codequality"] != "X-code-quality" || j.Artifacts.Reports["dotenv"] != ".lockstep/lockstep.env" || j.Artifacts.When != "always" {
		t.Errorf("artifacts = %+v; want the Code Quality and dotenv reports, always", j.Artifacts)
	}
	if !strings.Contains(strings.Join(j.Script, "\n"), `--write "gitlab=$LOCKSTEP_CODE_QUALITY"`) {
		t.Errorf("script does not write lint's gitlab format")
	}

	// The examples include the component with inputs it defines, and give
	// the required ones (those without a default): the pipeline in
	// docs/examples and the include in the README's "GitLab CI" section.
	for _, p := range includeProblems(readRepoFile(t, "docs/examples/gitlab-ci.yml"), spec) {
		t.Errorf("docs/examples/gitlab-ci.yml: %s", p)
	}
	blocks := readmeBlocks(t, "GitLab CI", "yaml")
	if len(blocks) == 0 {
		t.Error("the README's GitLab CI section has no example")
	}
	for i, b := range blocks {
		for _, p := range includeProblems([]byte(b), spec) {
			t.Errorf("README.md GitLab CI block %d: %s", i+1, p)
		}
	}
	// The check is real: an input the component lacks, or a missing
	// required one, fails.
	probe := includeProblems([]byte("include:\n  - component: x/lockstep-dev/lockstep/lockstep@v1\n    inputs:\n      no-such: 1\n"), spec)
	if want := []string{"include 0 passes inputs.no-such, which the component does not define", "include 0 lacks the required input image"}; !slices.Equal(probe, want) {
		t.Errorf("includeProblems(probe) = %q; want %q", probe, want)
	}
}

// includeProblems checks that raw, a .gitlab-ci.yml, includes lockstep's
// component, passes only inputs the spec defines, gives every input
// without a default, and names each included job differently.
func includeProblems(raw []byte, spec gitlabSpec) []string {
	inputs := spec.Spec.Inputs
	var out []string
	errorf := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	var example struct {
		Include []struct {
			Component string         `yaml:"component"`
			Inputs    map[string]any `yaml:"inputs"`
		} `yaml:"include"`
	}
	if err := yaml.Unmarshal(raw, &example); err != nil {
		return []string{err.Error()}
	}
	if len(example.Include) == 0 {
		errorf("includes nothing")
	}
	names := map[string]bool{}
	for i, inc := range example.Include {
		if !strings.HasSuffix(inc.Component, "/lockstep-dev/lockstep/lockstep@v1") {
			errorf("include %d: component %q", i, inc.Component)
		}
		for k := range inc.Inputs {
			if _, ok := inputs[k]; !ok {
				errorf("include %d passes inputs.%s, which the component does not define", i, k)
			}
		}
		for _, k := range keys(inputs) {
			if inputs[k].Default == nil {
				if _, ok := inc.Inputs[k]; !ok {
					errorf("include %d lacks the required input %s", i, k)
				}
			}
		}
		name := fmt.Sprint(inc.Inputs["name"])
		if names[name] {
			errorf("two includes make the job %s", name)
		}
		names[name] = true
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDockerfile(t *testing.T) {
	raw := string(readRepoFile(t, "Dockerfile"))
	raw = strings.ReplaceAll(raw, "\\\n", " ")
	type stage struct {
		from, name string
		lines      []string
	}
	var stages []*stage
	for _, l := range strings.Split(raw, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if f := strings.Fields(l); strings.EqualFold(f[0], "FROM") {
			s := &stage{from: f[1]}
			if len(f) == 4 && strings.EqualFold(f[2], "AS") {
				s.name = f[3]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("instruction before FROM: %s", l)
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages; want a builder and a final image", len(stages))
	}
	build, final := stages[0], stages[1]
	if !strings.HasPrefix(build.from, "golang:1.26") || !strings.Contains(build.from, "bookworm") {
		t.Errorf("builder FROM %s; want golang:1.26 on bookworm (pg_query needs cgo and glibc)", build.from)
	}
	bl := strings.Join(build.lines, "\n")
	if !strings.Contains(bl, "CGO_ENABLED=1") {
		t.Error("the builder does not enable cgo")
	}
	// The image builds what `make build` builds.
	mk := string(readRepoFile(t, "Makefile"))
	if !strings.Contains(mk, `LDFLAGS := -X main.version=$(VERSION)`) || !strings.Contains(mk, `$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lockstep`) {
		t.Fatal("the Makefile's build changed: update the Dockerfile and this test")
	}
	if !regexp.MustCompile(`go build (-trimpath )?-ldflags "-X main\.version=\$\{VERSION\}" -o \S+ \./cmd/lockstep`).MatchString(bl) {
		t.Errorf("the builder's go build differs from the Makefile's:\n%s", bl)
	}
	if final.from != "debian:bookworm-slim" && !strings.HasPrefix(final.from, "gcr.io/distroless/cc") {
		t.Errorf("final FROM %s; want a small glibc image", final.from)
	}
	fl := strings.Join(final.lines, "\n")
	if !strings.Contains(fl, "COPY --from="+build.name+" ") {
		t.Errorf("the final image does not copy from the builder %q", build.name)
	}
	if !strings.Contains(fl, " git") {
		t.Error("no git in the final image (lint --since needs it)")
	}
	var user, entry string
	for _, l := range final.lines {
		f := strings.Fields(l)
		switch strings.ToUpper(f[0]) {
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entry = strings.TrimSpace(strings.TrimPrefix(l, f[0]))
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("USER %q; want a non-root user", user)
	}
	if entry != `["lockstep"]` {
		t.Errorf("ENTRYPOINT %s; want [\"lockstep\"] (exec form)", entry)
	}
}

// TestDemoReport runs the report stage of `make demo` (testdata/demo/
// report.sh) with a freshly built lockstep: it must write, without a
// token, what would be posted: the sticky comment with lint's and then
// plan's section, the review comments on the pull request's file only, and
// the job summary.
func TestDemoReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockstep")
	}
	for _, tool := range []string{"bash", "git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	root, _ := filepath.Abs(repoRoot)
	tmp := t.TempDir()
	bin := builtLockstep(t)
	run := exec.Command("bash", "testdata/demo/report.sh", bin, filepath.Join(tmp, "out"))
	run.Dir = root
	run.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GITHUB_ACTIONS=", "GITLAB_CI=")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("report.sh: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "out", "report")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the demo did not write %s: %v\n%s", name, err, out)
		}
		return string(b)
	}
	sticky := read("sticky-comment.md")
	li, pi := strings.Index(sticky, "<!-- lockstep:section=lint -->\n❌ **Lint**: "), strings.Index(sticky, "<!-- lockstep:section=plan -->\n✅ **Plan**: ")
	if !strings.HasPrefix(sticky, "<!-- lockstep:sticky -->\n") || li < 0 || pi < li {
		t.Errorf("sticky-comment.md: want the marker, then lint's section, then plan's:\n%s", sticky)
	}
	review := read("review-comments.md")
	newest := ""
	if ms, _ := filepath.Glob(filepath.Join(root, "testdata", "demo", "migrations", "*.up.sql")); len(ms) > 0 {
		sort.Strings(ms)
		newest = filepath.Base(ms[len(ms)-1])
	}
	heads := regexp.MustCompile("(?m)^#### `([^`:]+):\\d+").FindAllStringSubmatch(review, -1)
	if len(heads) == 0 || strings.Count(review, "<!-- lockstep:fp=") != len(heads) {
		t.Errorf("review-comments.md: want comments, each with its fingerprint:\n%s", review)
	}
	for _, h := range heads {
		if h[1] != "migrations/"+newest {
			t.Errorf("review comment on %s; want only the pull request's file migrations/%s", h[1], newest)
		}
	}
	if s := read("job-summary.md"); !strings.Contains(s, "### ❌ lockstep lint: ") || !strings.Contains(s, "### ✅ lockstep plan: ") {
		t.Errorf("job-summary.md lacks the lint and plan summaries:\n%s", s)
	}
}

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

// builtLockstep builds the command once for the tests that run it whole.
func builtLockstep(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		root, _ := filepath.Abs(repoRoot)
		built.dir, built.err = os.MkdirTemp("", "lockstep-bin-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "lockstep")
		build := exec.Command("go", "build", "-o", built.bin, "./cmd/lockstep")
		build.Dir = root
		built.out, built.err = build.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

// Package initialisation runs without a collection (internal/initgc), and
// main gives the collector back.
func TestNoCollectionDuringInit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockstep")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go")
	}
	cmd := exec.Command(builtLockstep(t), "version")
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1,inittrace=1", "GOGC=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lockstep version: %v\n%s", err, out)
	}
	text := string(out)
	first := strings.Index(text, "init github.com/lockstep-dev/lockstep/internal/initgc @")
	schema := strings.Index(text, "init github.com/santhosh-tekuri/jsonschema/v6 @")
	main := strings.Index(text, "init main @")
	if first < 0 || schema < 0 || main < 0 || first > schema {
		t.Fatalf("want initgc initialised before the JSON Schema validator:\n%s", text)
	}
	if gc := strings.Index(text, "\ngc 1 @"); gc >= 0 && gc < main {
		t.Fatalf("a collection ran during package initialisation:\n%s", text)
	}
}

// The tests run with the collector on: TestMain gives it back, as main does.
func TestCollectorOnInTests(t *testing.T) {
	prev := debug.SetGCPercent(100)
	debug.SetGCPercent(prev)
	if prev < 0 && os.Getenv("GOGC") != "off" {
		t.Fatal("the garbage collector is off in the test binary: TestMain must call initgc.Restore")
	}
}
