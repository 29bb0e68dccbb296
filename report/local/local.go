// Package local writes what lockstep would post on GitHub or GitLab as
// files in a directory, so a report can be read without a token (make demo,
// a dry run before wiring CI): the sticky comment, the review comments, the
// job summary, the workflow-command annotations, the commit statuses, the
// outputs and the deployments. Each stage updates only its own part, as on
// the platforms.
package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/lockstep-dev/lockstep/report"
	"github.com/lockstep-dev/lockstep/report/diff"
)

// The files a Publisher writes, inside its directory.
const (
	StickyFile      = "sticky-comment.md"
	ReviewFile      = "review-comments.md"
	SummaryFile     = "job-summary.md"
	AnnotationsFile = "annotations.txt"
	StatusesFile    = "statuses.txt"
	OutputsFile     = "outputs.env"
	DeploymentsFile = "deployments.md"
)

// Options shape what a Publisher writes.
type Options struct {
	// Diff, when set, decides which findings would be comments, as on the
	// platforms; nil: every finding would be.
	Diff   *diff.Diff
	Filter diff.Mode
	// Now stamps deployments; nil: time.Now.
	Now func() time.Time
}

// Publisher writes report files into a directory.
type Publisher struct {
	dir string
	o   Options

	mu      sync.Mutex
	written map[string]bool
	nextID  int
}

var (
	_ report.Publisher = (*Publisher)(nil)
	_ report.Deployer  = (*Publisher)(nil)
)

// New returns a Publisher writing into dir, which it creates when needed.
func New(dir string, o Options) *Publisher {
	if o.Filter == "" {
		o.Filter = diff.ModeAdded
	}
	return &Publisher{dir: dir, o: o, written: map[string]bool{}}
}

// Files returns the paths written so far, sorted.
func (p *Publisher) Files() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.written))
	for f := range p.written {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Publish writes the report's files.
func (p *Publisher) Publish(ctx context.Context, r *report.Report) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	if len(r.Sections) > 0 {
		old, err := p.read(StickyFile)
		if err != nil {
			return err
		}
		if err := p.write(StickyFile, report.MergeSticky(old, r.Sections, "", report.GitHubCommentLimit), false); err != nil {
			return err
		}
		if err := p.write(SummaryFile, report.Summary(r), true); err != nil {
			return err
		}
	}
	if r.ReviewStage != "" {
		if err := p.write(ReviewFile, p.review(r), false); err != nil {
			return err
		}
	}
	if len(r.Annotations) > 0 {
		var b strings.Builder
		act := githubactions.New(githubactions.WithWriter(&b), githubactions.WithGetenv(func(string) string { return "" }))
		for _, a := range r.Annotations {
			first, last := a.Lines()
			f := act.WithFieldsMap(map[string]string{"file": a.Path, "line": strconv.Itoa(first), "endLine": strconv.Itoa(last), "title": strings.TrimSpace("lockstep " + a.Rule)})
			switch a.Level {
			case report.LevelError:
				f.Errorf("%s", a.Title)
			case report.LevelWarning:
				f.Warningf("%s", a.Title)
			default:
				f.Noticef("%s", a.Title)
			}
		}
		if err := p.write(AnnotationsFile, b.String(), true); err != nil {
			return err
		}
	}
	if len(r.Statuses) > 0 {
		if err := p.statuses(r.Statuses); err != nil {
			return err
		}
	}
	if len(r.Outputs) > 0 {
		if err := p.outputs(r.Outputs); err != nil {
			return err
		}
	}
	return nil
}

// review renders the comments a review would carry.
func (p *Publisher) review(r *report.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Review comments (%s)\n\nWhat lockstep would post on the pull request's lines (filter: %s).\n", r.ReviewStage, p.o.Filter)
	n := 0
	var outside []report.Annotation
	for _, a := range r.Annotations {
		first, last := a.Lines()
		pl := p.o.Diff.Place(a.Path, first, last, p.o.Filter)
		if pl.Where == diff.Nowhere {
			outside = append(outside, a)
			continue
		}
		n++
		where := fmt.Sprintf("%s:%d", pl.Path, pl.StartLine)
		if pl.EndLine > pl.StartLine {
			where += fmt.Sprintf("-%d", pl.EndLine)
		}
		if pl.Where == diff.OnFile {
			where = pl.Path + " (on the file)"
		}
		o := report.CommentOptions{Stage: r.ReviewStage}
		if pl.Whole && pl.Where == diff.Inline {
			o.SuggestionFence = "suggestion"
		}
		fmt.Fprintf(&b, "\n---\n\n#### `%s`\n\n%s\n", where, report.Comment(a, o))
	}
	if n == 0 {
		b.WriteString("\nNo comments: nothing to say on the changed lines.\n")
	}
	if len(outside) > 0 {
		fmt.Fprintf(&b, "\n---\n\n%d finding(s) outside the diff would be annotations only:\n\n", len(outside))
		for _, a := range outside {
			fmt.Fprintf(&b, "- `%s:%d` `%s`: %s\n", a.Path, a.Line, a.Rule, a.Title)
		}
	}
	return b.String()
}

// statuses merges the report's statuses into the file, one line per context.
func (p *Publisher) statuses(sts []report.Status) error {
	old, err := p.read(StatusesFile)
	if err != nil {
		return err
	}
	lines := map[string]string{}
	for _, l := range strings.Split(old, "\n") {
		if ctx, _, ok := strings.Cut(l, "\t"); ok {
			lines[ctx] = l
		}
	}
	for _, s := range sts {
		ctx := "lockstep/" + string(s.Stage)
		lines[ctx] = ctx + "\t" + string(s.State) + "\t" + report.Truncate(s.Description, report.DescriptionLimit)
	}
	return p.write(StatusesFile, joinSorted(lines), false)
}

func (p *Publisher) outputs(out report.Outputs) error {
	old, err := p.read(OutputsFile)
	if err != nil {
		return err
	}
	lines := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(old))
	for sc.Scan() {
		if k, _, ok := strings.Cut(sc.Text(), "="); ok {
			lines[k] = sc.Text()
		}
	}
	for k, v := range out {
		lines[k] = k + "=" + strings.Join(strings.Fields(v), " ")
	}
	return p.write(OutputsFile, joinSorted(lines), false)
}

func joinSorted(lines map[string]string) string {
	keys := make([]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(lines[k] + "\n")
	}
	return b.String()
}

// StartDeployment appends the deployment to the deployments file.
func (p *Publisher) StartDeployment(ctx context.Context, d report.Deployment) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	id := strconv.Itoa(p.nextID)
	line := fmt.Sprintf("- %s deployment %s: %s of `%s` to **%s**: %s\n", p.now(), id, d.Release, d.Ref, d.Environment, report.Truncate(d.Description, report.DescriptionLimit))
	return id, p.write(DeploymentsFile, line, true)
}

// SetDeploymentState appends the state change to the deployments file.
func (p *Publisher) SetDeploymentState(ctx context.Context, id string, s report.DeploymentState, description, logURL string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("- %s deployment %s: **%s** %s\n", p.now(), id, s, report.Truncate(description, report.DescriptionLimit))
	return p.write(DeploymentsFile, line, true)
}

func (p *Publisher) now() string {
	now := time.Now
	if p.o.Now != nil {
		now = p.o.Now
	}
	return now().UTC().Format(time.RFC3339)
}

func (p *Publisher) read(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(p.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("report dir: %w", err)
	}
	return string(b), nil
}

func (p *Publisher) write(name, text string, appendTo bool) error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	path := filepath.Join(p.dir, name)
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("report dir: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	p.written[path] = true
	return nil
}
