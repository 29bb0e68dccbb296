package gitlab

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/report"
)

// Config is the GitLab side of a run. FromEnv fills it from the variables a
// GitLab runner sets; tests build it directly.
type Config struct {
	// APIURL is the REST API root, e.g. https://gitlab.com/api/v4.
	APIURL string
	// Project is the project id (numeric) or its path ("group/project").
	Project string
	// MR is the merge request IID, 0 outside a merge request pipeline.
	MR int64
	// BaseSHA is the merge request's diff base (positions fall back to it
	// when the versions API cannot be read); SHA the pipeline's commit.
	BaseSHA, SHA string
	// Ref is the branch or tag of the pipeline.
	Ref        string
	PipelineID int64
	// JobURL is the job's page, the target of statuses.
	JobURL string
	Token  report.Secret
	// Environment and EnvironmentAction are the job's own environment
	// (CI_ENVIRONMENT_NAME, CI_ENVIRONMENT_ACTION): a job that starts an
	// environment is GitLab's deployment record already.
	Environment, EnvironmentAction string
	// JobToken marks Token as CI_JOB_TOKEN (sent as JOB-TOKEN; it can do
	// less than a project or personal access token).
	JobToken bool
}

// Detected reports whether the environment is a GitLab CI job.
func Detected(getenv func(string) string) bool { return getenv("GITLAB_CI") == "true" }

// FromEnv reads CI_API_V4_URL (or CI_SERVER_URL), CI_PROJECT_ID,
// CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_DIFF_BASE_SHA, CI_COMMIT_SHA,
// CI_COMMIT_REF_NAME, CI_PIPELINE_ID, CI_JOB_URL and the token from
// GITLAB_TOKEN, else CI_JOB_TOKEN. Errors wrap report.ErrContext.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		APIURL:  strings.TrimRight(getenv("CI_API_V4_URL"), "/"),
		Project: getenv("CI_PROJECT_ID"),
		BaseSHA: getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA"),
		SHA:     getenv("CI_COMMIT_SHA"),
		Ref:     getenv("CI_COMMIT_REF_NAME"),
		JobURL:  getenv("CI_JOB_URL"),

		Environment:       getenv("CI_ENVIRONMENT_NAME"),
		EnvironmentAction: getenv("CI_ENVIRONMENT_ACTION"),
	}
	if c.APIURL == "" {
		server := strings.TrimRight(getenv("CI_SERVER_URL"), "/")
		if server == "" {
			server = "https://gitlab.com"
		}
		c.APIURL = server + "/api/v4"
	}
	if t := strings.TrimSpace(getenv("GITLAB_TOKEN")); t != "" {
		c.Token = report.Secret(t)
	} else if t := strings.TrimSpace(getenv("CI_JOB_TOKEN")); t != "" {
		c.Token, c.JobToken = report.Secret(t), true
	}
	if c.Project == "" {
		if p := getenv("CI_PROJECT_PATH"); p != "" {
			c.Project = p
		} else {
			return c, fmt.Errorf("CI_PROJECT_ID is not set: %w", report.ErrContext)
		}
	}
	if v := getenv("CI_MERGE_REQUEST_IID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("CI_MERGE_REQUEST_IID=%q: not a number: %w", v, report.ErrContext)
		}
		c.MR = n
	}
	if v := getenv("CI_PIPELINE_ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c, fmt.Errorf("CI_PIPELINE_ID=%q: not a number: %w", v, report.ErrContext)
		}
		c.PipelineID = n
	}
	if c.JobURL == "" {
		c.JobURL = getenv("CI_PIPELINE_URL")
	}
	return c, nil
}
