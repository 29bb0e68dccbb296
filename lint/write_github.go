package lint

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// GitHubAnnotationsPerKind is how many annotations of one kind (error,
// warning, notice) GitHub Actions shows for one step; it drops the rest.
const GitHubAnnotationsPerKind = 10

// writeGitHub writes workflow commands that GitHub Actions turns into
// annotations on the lines of the pull request:
//
//	::error file=m/003_x.up.sql,line=4,endLine=4,col=1,endColumn=38,title=lockstep create-index-non-concurrent::message%0ALock: ...
//
// Errors become ::error, warnings ::warning and hints ::notice. GitHub
// shows ten of each kind per step and silently drops the rest, so past ten
// the findings are printed as plain log lines and one final ::notice says
// how many were left out and where to see them. Columns are given only for
// a span on one line (GitHub ignores them otherwise).
func writeGitHub(w io.Writer, res *Result) error {
	var b strings.Builder
	shown := map[string]int{}
	var overflow []Finding
	// When anything overflows, one notice is kept for the summary.
	over := overflows(res)
	capOf := func(kind string) int {
		if kind == "notice" && over {
			return GitHubAnnotationsPerKind - 1
		}
		return GitHubAnnotationsPerKind
	}
	for _, f := range res.Findings {
		kind := githubKind(f.Severity)
		if shown[kind] >= capOf(kind) {
			overflow = append(overflow, f)
			continue
		}
		shown[kind]++
		b.WriteString(githubCommand(kind, f))
		b.WriteByte('\n')
	}
	if len(overflow) > 0 {
		for _, f := range overflow {
			fmt.Fprintf(&b, "%s: %s %s: %s\n", f.Pos, f.Severity, f.Rule, f.Message)
		}
		cmd := githubactions.Command{Name: "notice", Properties: githubactions.CommandProperties{"title": "lockstep: more findings than annotations"},
			Message: fmt.Sprintf("%s not shown as annotations (GitHub shows %d of each kind per step); they are listed in this step's log above. %s",
				plural(len(overflow), "finding"), GitHubAnnotationsPerKind, summaryLine(res))}
		b.WriteString(cmd.String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// overflows reports whether any kind has more findings than GitHub shows.
func overflows(res *Result) bool {
	n := map[string]int{}
	for _, f := range res.Findings {
		n[githubKind(f.Severity)]++
	}
	for _, c := range n {
		if c > GitHubAnnotationsPerKind {
			return true
		}
	}
	return false
}

func githubKind(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "notice"
}

// githubCommand renders one finding; go-githubactions escapes %, CR and LF
// in the message and also : and , in the properties.
func githubCommand(kind string, f Finding) string {
	props := githubactions.CommandProperties{
		"file":    slashPath(f.Pos.File),
		"line":    strconv.Itoa(f.Pos.Line),
		"endLine": strconv.Itoa(f.Pos.EndLine),
		"title":   "lockstep " + f.Rule,
	}
	if f.Pos.Line == f.Pos.EndLine {
		props["col"] = strconv.Itoa(f.Pos.Col)
		props["endColumn"] = strconv.Itoa(f.Pos.EndCol)
	}
	msg := f.Message
	if d := details(f); d != "" {
		msg += "\n" + d
	}
	if r := RuleByID(f.Rule); r != nil {
		msg += "\nDocs: " + r.DocURL()
	}
	cmd := githubactions.Command{Name: kind, Properties: props, Message: msg}
	return cmd.String()
}
