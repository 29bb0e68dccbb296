package lint

import (
	"encoding/json"
	"io"
)

// gitlabIssue is one entry of a GitLab Code Quality report (a subset of the
// Code Climate issue format that GitLab reads).
type gitlabIssue struct {
	Type        string         `json:"type"`
	Description string         `json:"description"`
	CheckName   string         `json:"check_name"`
	Fingerprint string         `json:"fingerprint"`
	Severity    string         `json:"severity"`
	Categories  []string       `json:"categories"`
	Location    gitlabLocation `json:"location"`
	Content     *gitlabContent `json:"content,omitempty"`
}

type gitlabLocation struct {
	Path  string      `json:"path"`
	Lines gitlabLines `json:"lines"`
}

type gitlabLines struct {
	Begin int `json:"begin"`
	End   int `json:"end"`
}

type gitlabContent struct {
	Body string `json:"body"`
}

// writeGitLab writes a Code Quality report: a JSON array, one issue per
// finding, for `artifacts: reports: codequality:`. Severities map error to
// critical (a syntax error to blocker: the file cannot run at all), warning
// to major and hint to info. The fingerprint is the one SARIF carries, so
// GitLab's comparison with the target branch survives line shifts. Paths
// go through o.RepoPath, so that they are relative to the repository root
// however the files were named on the command line.
func writeGitLab(w io.Writer, res *Result, o WriteOptions) error {
	rel := func(p string) string { return slashPath(p) }
	if o.RepoPath != nil {
		rel = func(p string) string { return slashPath(o.RepoPath(p)) }
	}
	prints := fingerprints(res)
	out := make([]gitlabIssue, 0, len(res.Findings))
	for i, f := range res.Findings {
		is := gitlabIssue{
			Type:        "issue",
			Description: f.Message,
			CheckName:   f.Rule,
			Fingerprint: prints[i],
			Severity:    gitlabSeverity(f),
			Categories:  []string{gitlabCategory(f)},
			Location:    gitlabLocation{Path: rel(f.Pos.File), Lines: gitlabLines{Begin: f.Pos.Line, End: f.Pos.EndLine}},
		}
		if d := details(f); d != "" {
			is.Content = &gitlabContent{Body: d}
		}
		out = append(out, is)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func gitlabSeverity(f Finding) string {
	switch {
	case f.Rule == RuleSyntaxError:
		return "blocker"
	case f.Severity == Error:
		return "critical"
	case f.Severity == Warning:
		return "major"
	}
	return "info"
}

// gitlabCategory is the Code Climate category: a change that breaks a
// release is a compatibility problem, one that stalls traffic a performance
// problem, a file that does not run a bug risk, the rest style.
func gitlabCategory(f Finding) string {
	switch {
	case f.Rule == RuleSyntaxError:
		return "Bug Risk"
	case f.Breaks == BreaksOld || f.Breaks == BreaksNew || f.Breaks == BreaksBoth:
		return "Compatibility"
	case f.Breaks == BreaksAvailability || f.Lock.Mode.BlocksTraffic():
		return "Performance"
	}
	return "Style"
}
