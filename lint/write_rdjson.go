package lint

import (
	"encoding/json"
	"io"
	"strings"
)

// The Reviewdog Diagnostic Format (rdjson): `reviewdog -f=rdjson` reads it.
// Positions are 1-based lines and UTF-8 byte columns; a range's end is
// exclusive. A range without columns is line-wise: whole lines, end line
// included, without its line break.

type rdResult struct {
	Source      rdSource       `json:"source"`
	Diagnostics []rdDiagnostic `json:"diagnostics"`
}

type rdSource struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type rdDiagnostic struct {
	Message     string         `json:"message"`
	Location    rdLocation     `json:"location"`
	Severity    string         `json:"severity"`
	Code        *rdCode        `json:"code,omitempty"`
	Suggestions []rdSuggestion `json:"suggestions,omitempty"`
}

type rdLocation struct {
	Path  string  `json:"path"`
	Range rdRange `json:"range"`
}

type rdRange struct {
	Start rdPosition  `json:"start"`
	End   *rdPosition `json:"end,omitempty"`
}

type rdPosition struct {
	Line   int `json:"line"`
	Column int `json:"column,omitempty"`
}

type rdCode struct {
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type rdSuggestion struct {
	Range rdRange `json:"range"`
	Text  string  `json:"text"`
}

// writeRDJSON writes the findings for reviewdog: the message with the lock,
// whom it breaks and the fix (as an SQL block, which reviewdog's comments
// render), the rule as code with its reference page, and the one-statement
// suggestion as a line-wise replacement of the statement.
func writeRDJSON(w io.Writer, res *Result, o WriteOptions) error {
	rules := ruleIndex()
	out := rdResult{Source: rdSource{Name: ToolName, URL: ToolURL}, Diagnostics: []rdDiagnostic{}}
	for _, f := range res.Findings {
		src := res.Sources[f.Pos.File]
		d := rdDiagnostic{
			Message:  rdMessage(f),
			Location: rdLocation{Path: slashPath(f.Pos.File), Range: rdSpan(src, f.Pos)},
			Severity: rdSeverity(f.Severity),
			Code:     &rdCode{Value: f.Rule, URL: ruleFor(rules, f.Rule).DocURL()},
		}
		if f.Suggestion != "" {
			d.Suggestions = []rdSuggestion{{
				Range: rdRange{Start: rdPosition{Line: f.Pos.Line}, End: &rdPosition{Line: f.Pos.EndLine}},
				Text:  strings.TrimRight(f.Suggestion, "\n"),
			}}
		}
		out.Diagnostics = append(out.Diagnostics, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// rdSpan converts a finding's span (character columns, end inclusive) into
// byte columns with an exclusive end.
func rdSpan(src *Source, p Pos) rdRange {
	if src == nil {
		return rdRange{Start: rdPosition{p.Line, p.Col}, End: &rdPosition{p.EndLine, p.EndCol + 1}}
	}
	return rdRange{
		Start: rdPosition{p.Line, byteColumn(src.LineText(p.Line), p.Col)},
		End:   &rdPosition{p.EndLine, byteColumn(src.LineText(p.EndLine), p.EndCol+1)},
	}
}

func rdMessage(f Finding) string {
	var b strings.Builder
	b.WriteString(f.Message)
	if f.Lock.Mode != NoLock {
		b.WriteString("\n\nLock: " + f.Lock.Mode.String() + " on " + f.Lock.Relation + " (blocks " + f.Lock.Mode.Blocks() + costPhrase(f.Cost) + ")")
	}
	if f.Held != "" {
		b.WriteString("\nHeld: " + f.Held + ", until the file commits")
	}
	if f.Breaks != BreaksNone {
		b.WriteString("\nBreaks: " + f.Breaks.Describe())
	}
	if f.Fix != "" {
		fence := "```"
		for strings.Contains(f.Fix, fence) {
			fence += "`"
		}
		b.WriteString("\n\nFix:\n" + fence + "sql\n" + strings.TrimRight(f.Fix, "\n") + "\n" + fence)
	}
	return b.String()
}

func rdSeverity(s Severity) string {
	switch s {
	case Error:
		return "ERROR"
	case Warning:
		return "WARNING"
	}
	return "INFO"
}
