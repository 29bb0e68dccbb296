package github

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/report"
)

// Config is the GitHub side of a run: which repository, pull request and
// commit, where the API is, the token and the runner's files. FromEnv fills
// it from the environment a runner sets; tests build it directly.
type Config struct {
	// APIURL is the REST API root (GITHUB_API_URL; GitHub Enterprise Server:
	// https://HOST/api/v3). Default https://api.github.com.
	APIURL string
	Owner  string
	Repo   string
	Token  report.Secret
	// PR is the pull request number, 0 outside a pull request.
	PR int
	// HeadSHA and BaseSHA are the pull request's commits; SHA is the commit
	// the workflow runs on (GITHUB_SHA), used for statuses outside a PR.
	HeadSHA, BaseSHA, SHA string
	// ReadOnly marks a token that can read but not write: a pull request
	// from a fork, or Dependabot's. ReadOnlyWhy says which.
	ReadOnly    bool
	ReadOnlyWhy string
	// RunURL is the workflow run, the target of statuses.
	RunURL string
	// Actions is true inside GitHub Actions: workflow commands are
	// understood and the step summary and output files exist.
	Actions bool
}

// Detected reports whether the environment is a GitHub Actions runner.
func Detected(getenv func(string) string) bool { return getenv("GITHUB_ACTIONS") == "true" }

// event is the part of $GITHUB_EVENT_PATH lockstep reads.
type event struct {
	Number      int `json:"number"`
	PullRequest *struct {
		Number int `json:"number"`
		Head   ref `json:"head"`
		Base   ref `json:"base"`
	} `json:"pull_request"`
}

type ref struct {
	SHA  string `json:"sha"`
	Repo *struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

// FromEnv reads a runner's environment: GITHUB_REPOSITORY, GITHUB_API_URL,
// GITHUB_EVENT_PATH (pull request number, head and base), GITHUB_SHA,
// GITHUB_SERVER_URL and GITHUB_RUN_ID (the run URL), and the token from the
// action's github-token input (INPUT_GITHUB-TOKEN) or GITHUB_TOKEN. Errors
// wrap report.ErrContext and name the variable.
func FromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	c := Config{
		APIURL:  strings.TrimRight(getenv("GITHUB_API_URL"), "/"),
		SHA:     getenv("GITHUB_SHA"),
		Actions: Detected(getenv),
	}
	if c.APIURL == "" {
		c.APIURL = "https://api.github.com"
	}
	for _, k := range []string{"INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			c.Token = report.Secret(v)
			break
		}
	}
	repo := getenv("GITHUB_REPOSITORY")
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return c, fmt.Errorf("GITHUB_REPOSITORY=%q: want OWNER/REPO: %w", repo, report.ErrContext)
	}
	c.Owner, c.Repo = owner, name
	server := strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	if id := getenv("GITHUB_RUN_ID"); id != "" {
		c.RunURL = server + "/" + repo + "/actions/runs/" + id
		if n, _ := strconv.Atoi(getenv("GITHUB_RUN_ATTEMPT")); n > 1 {
			c.RunURL += "/attempts/" + strconv.Itoa(n)
		}
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return c, nil
	}
	b, err := readFile(path)
	if err != nil {
		return c, fmt.Errorf("GITHUB_EVENT_PATH: %v: %w", err, report.ErrContext)
	}
	var ev event
	if err := json.Unmarshal(b, &ev); err != nil {
		return c, fmt.Errorf("GITHUB_EVENT_PATH %s: not JSON: %v: %w", path, err, report.ErrContext)
	}
	if pr := ev.PullRequest; pr != nil {
		c.PR = pr.Number
		if c.PR == 0 {
			c.PR = ev.Number
		}
		c.HeadSHA, c.BaseSHA = pr.Head.SHA, pr.Base.SHA
		eventName := getenv("GITHUB_EVENT_NAME")
		// pull_request_target runs in the base repository with a write token.
		if eventName == "pull_request" {
			if pr.Head.Repo == nil || pr.Base.Repo == nil || !strings.EqualFold(pr.Head.Repo.FullName, pr.Base.Repo.FullName) {
				c.ReadOnly, c.ReadOnlyWhy = true, "pull request from a fork"
			} else if getenv("GITHUB_ACTOR") == "dependabot[bot]" {
				c.ReadOnly, c.ReadOnlyWhy = true, "Dependabot pull request"
			}
		}
	}
	return c, nil
}

// statusSHA is the commit statuses go to: the pull request's head (where
// the PR shows them), else the workflow's commit.
func (c Config) statusSHA() string {
	if c.HeadSHA != "" {
		return c.HeadSHA
	}
	return c.SHA
}
