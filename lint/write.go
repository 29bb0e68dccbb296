package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// Formats lists the output formats Write accepts.
var Formats = []string{"text", "json", "sarif", "github", "gitlab", "rdjson", "gcc"}

// WriteOptions tunes the writers.
type WriteOptions struct {
	// Color turns on ANSI colours in the text format (only on a terminal).
	Color bool
	// Version is lockstep's version, for SARIF and rdjson tool metadata.
	Version string
	// RepoPath turns a finding's file, as it was given, into its path
	// relative to the repository root, which is what the gitlab format
	// needs: GitLab matches Code Quality paths against the merge request's
	// files. nil: the path as given, cleaned.
	RepoPath func(file string) string
}

// Write renders a result in one of Formats.
func Write(w io.Writer, format string, res *Result, o WriteOptions) error {
	switch format {
	case "text":
		return writeText(w, res, o)
	case "json":
		return writeJSON(w, res)
	case "sarif":
		return writeSARIF(w, res, o)
	case "github":
		return writeGitHub(w, res)
	case "gitlab":
		return writeGitLab(w, res, o)
	case "rdjson":
		return writeRDJSON(w, res, o)
	case "gcc":
		return writeGCC(w, res)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// jsonResult is the documented JSON output.
type jsonResult struct {
	Findings []jsonFinding `json:"findings"`
	Files    int           `json:"files"`
	Summary  jsonSummary   `json:"summary"`
	Phases   []jsonPhase   `json:"phases"`
}

type jsonSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Hints    int `json:"hints"`
}

type jsonPhase struct {
	File     string `json:"file"`
	Phase    string `json:"phase"`
	Declared string `json:"declared,omitempty"`
}

func writeJSON(w io.Writer, res *Result) error {
	// The findings go in as their JSON shape, not through Finding's
	// MarshalJSON: the encoder would re-validate and re-indent each one.
	out := jsonResult{Findings: make([]jsonFinding, len(res.Findings)), Files: res.Linted(),
		Summary: jsonSummary{res.Count(Error), res.Count(Warning), res.Count(Hint)}}
	for i, f := range res.Findings {
		out.Findings[i] = f.jsonShape()
	}
	out.Phases = []jsonPhase{}
	for _, f := range res.Files {
		if f.Linted && f.Err == nil {
			out.Phases = append(out.Phases, jsonPhase{File: f.Path, Phase: f.Phase.String(), Declared: f.Declared.String()})
		}
	}
	// One finding per line, compact: indenting a report of thousands of
	// findings cost more than linting them, and a line per finding still
	// reads and greps well (pipe through jq for a pretty view).
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"findings":[`)
	chunks, err := findingLines(out.Findings)
	if err != nil {
		return err
	}
	for _, c := range chunks {
		bw.Write(c)
	}
	if len(out.Findings) > 0 {
		bw.WriteString("\n")
	}
	rest, err := json.Marshal(struct {
		Files   int         `json:"files"`
		Summary jsonSummary `json:"summary"`
		Phases  []jsonPhase `json:"phases"`
	}{out.Files, out.Summary, out.Phases})
	if err != nil {
		return err
	}
	bw.WriteString("],")
	bw.Write(rest[1:])
	bw.WriteString("\n")
	return bw.Flush()
}

// findingLines encodes the findings of the JSON report, each on a line of
// its own after a comma (but the first), in chunks that concatenate to the
// report's findings. Encoding is most of the writer's work and the lint loop
// leaves the other processors idle by then: the chunks are encoded on all of
// them.
func findingLines(fs []jsonFinding) ([][]byte, error) {
	const minChunk = 256
	n := max(1, min(runtime.GOMAXPROCS(0), len(fs)/minChunk))
	chunks := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for c := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // SQL is full of < and >
			lo, hi := c*len(fs)/n, (c+1)*len(fs)/n
			for i := lo; i < hi; i++ {
				buf.Reset()
				if err := enc.Encode(&fs[i]); err != nil {
					errs[c] = err
					return
				}
				if i == lo {
					out.Grow((hi - lo) * (buf.Len() + buf.Len()/2)) // sized on the first
				}
				if i > 0 {
					out.WriteByte(',')
				}
				out.WriteByte('\n')
				out.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
			}
			chunks[c] = out.Bytes()
		}()
	}
	wg.Wait()
	return chunks, errors.Join(errs...)
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return code + s + ansiReset
}

func severityColor(s Severity) string {
	switch s {
	case Error:
		return ansiRed
	case Warning:
		return ansiYellow
	}
	return ansiBlue
}

func writeText(w io.Writer, res *Result, o WriteOptions) error {
	p := painter(o.Color)
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%s: %s %s\n", p.paint(ansiBold, f.Pos.String()),
			p.paint(ansiBold+severityColor(f.Severity), f.Severity.String()), p.paint(ansiDim, f.Rule))
		fmt.Fprintf(&b, "  %s\n", f.Message)
		if src := res.Sources[f.Pos.File]; src != nil && f.Rule != RuleUnusedIgnore {
			excerpt(&b, p, src, f)
		}
		if f.Lock.Mode != NoLock {
			fmt.Fprintf(&b, "  %s %s on %s (blocks %s%s)\n", p.paint(ansiCyan, "lock:  "), f.Lock.Mode, f.Lock.Relation, f.Lock.Mode.Blocks(), costPhrase(f.Cost))
		}
		if f.Held != "" {
			fmt.Fprintf(&b, "  %s %s, until the file commits\n", p.paint(ansiCyan, "held:  "), f.Held)
		}
		if f.Breaks != BreaksNone {
			fmt.Fprintf(&b, "  %s %s\n", p.paint(ansiCyan, "breaks:"), f.Breaks.Describe())
		}
		if f.Fix != "" {
			fmt.Fprintf(&b, "  %s\n", p.paint(ansiCyan, "fix:"))
			for _, line := range strings.Split(strings.TrimRight(f.Fix, "\n"), "\n") {
				fmt.Fprintf(&b, "      %s\n", p.paint(ansiGreen, line))
			}
		}
		if r := RuleByID(f.Rule); r != nil {
			fmt.Fprintf(&b, "  %s %s\n", p.paint(ansiCyan, "docs:  "), p.paint(ansiDim, r.DocURL()))
		}
		b.WriteByte('\n')
	}
	b.WriteString(summaryLine(res))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// excerpt prints the statement's first lines with the finding's span underlined.
func excerpt(b *strings.Builder, p painter, src *Source, f Finding) {
	const maxLines = 4
	width := len(fmt.Sprint(f.Pos.EndLine))
	last := f.Pos.EndLine
	if last-f.Pos.Line >= maxLines {
		last = f.Pos.Line + maxLines - 1
	}
	for n := f.Pos.Line; n <= last; n++ {
		line := strings.ReplaceAll(src.LineText(n), "\t", " ")
		fmt.Fprintf(b, "  %s %s %s\n", p.paint(ansiDim, fmt.Sprintf("%*d", width, n)), p.paint(ansiDim, "|"), line)
		from, to := 1, utf8.RuneCountInString(line)
		if n == f.Pos.Line {
			from = f.Pos.Col
		}
		if n == f.Pos.EndLine {
			to = f.Pos.EndCol
		}
		if to < from {
			to = from
		}
		fmt.Fprintf(b, "  %s %s %s%s\n", strings.Repeat(" ", width), p.paint(ansiDim, "|"), strings.Repeat(" ", from-1),
			p.paint(severityColor(f.Severity), strings.Repeat("^", to-from+1)))
	}
	if last < f.Pos.EndLine {
		fmt.Fprintf(b, "  %s %s ...\n", strings.Repeat(" ", width), p.paint(ansiDim, "|"))
	}
}

func summaryLine(res *Result) string {
	e, wn, h := res.Count(Error), res.Count(Warning), res.Count(Hint)
	files := res.Linted()
	if e+wn+h == 0 {
		return fmt.Sprintf("no findings in %s", plural(files, "file"))
	}
	var parts []string
	if e > 0 {
		parts = append(parts, plural(e, "error"))
	}
	if wn > 0 {
		parts = append(parts, plural(wn, "warning"))
	}
	if h > 0 {
		parts = append(parts, plural(h, "hint"))
	}
	return fmt.Sprintf("%s in %s", strings.Join(parts, ", "), plural(files, "file"))
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
