// Package report is the neutral model of what lockstep tells people: findings
// on lines of a file, one section per stage of the sticky pull/merge request
// comment, a commit status per stage, deployments and their statuses. The
// commands build these values; writers in the subpackages (github, gitlab,
// local) put them where people look, with diff (which findings land on the
// change's lines) and retry (bounded retries of busy APIs) beside them. The
// package renders the markdown all writers share (the sticky comment's
// sections, review comments with their hidden fingerprints, the job
// summary). It knows nothing of SQL or rollouts, and imports none of
// lockstep's other packages.
package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
)

// Level is an annotation's severity.
type Level string

const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelNotice  Level = "notice"
)

// Annotation is a finding on lines of a file in the repository.
type Annotation struct {
	// Path is relative to the repository root, with forward slashes.
	Path      string
	Line      int
	EndLine   int
	Column    int
	EndColumn int
	Level     Level
	// Rule is the finding's rule id; with Path, Line and Title it makes the
	// fingerprint that finds a posted comment again.
	Rule  string
	Title string
	// Body is the comment's markdown under its heading (the writers render
	// the level, rule and Title above it, the suggestion and DocURL below):
	// the lock, whom it breaks, the safe alternative.
	Body string
	// Suggestion, when set, replaces lines Line..EndLine (a one-statement
	// rewrite), offered as a suggested change.
	Suggestion string
	// DocURL links the rule's reference page.
	DocURL string
}

// Fingerprint identifies the finding across runs: the same rule on the same
// lines of the same file with the same title is the same finding. Writers
// hide it in a comment's markdown to find the comment again.
func (a Annotation) Fingerprint() string {
	h := sha256.New()
	for _, s := range []string{a.Path, strconv.Itoa(a.Line), strconv.Itoa(a.end()), a.Rule, a.Title} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// end is the last line of the annotation (Line when EndLine is unset).
func (a Annotation) end() int {
	if a.EndLine < a.Line {
		return a.Line
	}
	return a.EndLine
}

// Lines returns the first and last line the annotation covers.
func (a Annotation) Lines() (first, last int) { return a.Line, a.end() }

// Stage names a section of the sticky comment and a status context, in the
// order a change goes through them.
type Stage string

const (
	StageLint    Stage = "lint"
	StagePlan    Stage = "plan"
	StageGate    Stage = "gate"
	StageMigrate Stage = "migrate"
	StageRollout Stage = "rollout"
)

// Stages lists the stages in order.
var Stages = []Stage{StageLint, StagePlan, StageGate, StageMigrate, StageRollout}

// State is the outcome of a stage.
type State string

const (
	StatePending State = "pending"
	StateRunning State = "running"
	StateSuccess State = "success"
	StateFailure State = "failure"
	StateError   State = "error"
)

// Section is one stage's part of the sticky comment: a one-line status and
// details folded below it.
type Section struct {
	Stage Stage
	State State
	// Summary is the one-line status, e.g. "3 errors, 1 warning in 2 files".
	Summary string
	// Markdown is the folded detail.
	Markdown string
	// URL links the run that wrote the section; writers fill it with the CI
	// run when empty.
	URL string
}

// Status is a commit status (or check) for one stage, context lockstep/<stage>.
type Status struct {
	Stage       Stage
	State       State
	Description string
	TargetURL   string
}

// DeploymentState is the state of a deployment record.
type DeploymentState string

const (
	DeployQueued     DeploymentState = "queued"
	DeployInProgress DeploymentState = "in_progress"
	DeploySuccess    DeploymentState = "success"
	DeployFailure    DeploymentState = "failure"
	DeployError      DeploymentState = "error"
	DeployInactive   DeploymentState = "inactive"
)

// Deployment describes a deploy of a release to an environment.
type Deployment struct {
	Environment string
	Release     string
	// Ref is the commit SHA deployed.
	Ref         string
	Description string
	// Production marks a production environment.
	Production bool
	URL        string
	// Payload carries lockstep's own data (release, plan, rollback safety).
	Payload map[string]any
}

// Outputs are named values for the CI job (GitHub step outputs, GitLab
// dotenv): findings, errors, gate decision, ...
type Outputs map[string]string

// Report is what one command run has to say.
type Report struct {
	// Annotations are findings on lines. They always become annotations
	// (workflow commands, summaries); with ReviewStage set they are also
	// that stage's review comments.
	Annotations []Annotation
	// ReviewStage, when set, makes Annotations the complete findings of
	// that stage for the pull/merge request: new ones are posted as review
	// comments, those posted before are left alone, and the stage's earlier
	// comments whose finding is gone are removed (or marked outdated when
	// someone replied). Empty: review comments are not touched.
	ReviewStage Stage
	Sections    []Section
	Statuses    []Status
	Outputs     Outputs
	// Summary is markdown for the job summary; empty means: render the sections.
	Summary string
}

// The errors Publish returns wrap one of these, so the command can say in
// one line why reporting was skipped (and --report-required can turn it into
// exit 4).
var (
	// ErrNoToken: no token in the environment.
	ErrNoToken = errors.New("no API token")
	// ErrToken: the API rejected the token (401).
	ErrToken = errors.New("the API rejected the token")
	// ErrPermission: the token may read but not write what was asked (403).
	ErrPermission = errors.New("the token lacks permission")
	// ErrUnavailable: the API failed (5xx, rate limit, network) after retries.
	ErrUnavailable = errors.New("the API is unavailable")
	// ErrContext: the CI environment lacks what the writer needs (repository,
	// project, event file).
	ErrContext = errors.New("incomplete CI environment")
)

// Notice is returned by Publish when the report went out in a reduced form
// that is expected and no failure: a pull request from a fork has a
// read-only token and gets annotations and the job summary only. The command
// prints Msg once and keeps its exit code, even with --report-required.
type Notice struct{ Msg string }

func (n *Notice) Error() string { return n.Msg }

// Secret is a credential. It formats, logs and marshals as "[redacted]"; use
// Reveal where the value must go on the wire.
type Secret string

// Reveal returns the credential itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string { return redacted(s) }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return redacted(s) }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted(s)) }

// MarshalText keeps encoders from writing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted(s)), nil }

func redacted(s Secret) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Publisher puts a report where people look. Implementations must not fail
// the command for reporting problems they can describe: Publish returns an
// error only for what the caller should surface (the command decides
// whether --report-required turns it into exit 4).
type Publisher interface {
	Publish(ctx context.Context, r *Report) error
}

// Deployer is implemented by publishers that can record deployments.
type Deployer interface {
	// StartDeployment creates a deployment record and returns its id.
	StartDeployment(ctx context.Context, d Deployment) (id string, err error)
	// SetDeploymentState moves a deployment's state.
	SetDeploymentState(ctx context.Context, id string, s DeploymentState, description, logURL string) error
}
