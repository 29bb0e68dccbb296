package lint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// What the machine-readable writers share: repository-relative paths,
// fingerprints that survive line shifts, and the plain-text body of a
// finding (lock, whom it breaks, the fix).

// ToolName and ToolURL identify lockstep in SARIF and rdjson.
const (
	ToolName = "lockstep"
	ToolURL  = "https://github.com/lockstep-dev/lockstep"
)

// slashPath is a finding's path with forward slashes and no "./" prefix,
// as code-scanning and code-quality reports want it.
func slashPath(p string) string {
	if p == "" {
		return p
	}
	return path.Clean(filepath.ToSlash(p))
}

// fingerprints returns one fingerprint per finding of res.Findings, stable
// across runs: a hash of the rule, the file, the finding's source text with
// white space collapsed (the whole line, for a finding on one character) and
// how many findings before it had those three. Moving a statement up or down
// keeps its fingerprint; editing it gives a new one; the message's wording
// does not count; two identical statements in one file stay apart.
func fingerprints(res *Result) []string {
	out := make([]string, len(res.Findings))
	seen := map[string]int{}
	for i, f := range res.Findings {
		key := f.Rule + "\x00" + slashPath(f.Pos.File) + "\x00" + fingerprintText(res.Sources[f.Pos.File], f)
		n := seen[key]
		seen[key] = n + 1
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", key, n)))
		out[i] = hex.EncodeToString(sum[:16])
	}
	return out
}

func fingerprintText(src *Source, f Finding) string {
	if src == nil {
		return f.Message
	}
	text := spanText(src, f.Pos)
	if f.Pos.Line == f.Pos.EndLine && f.Pos.Col >= f.Pos.EndCol {
		text = src.LineText(f.Pos.Line)
	}
	return strings.Join(strings.Fields(text), " ")
}

// spanText returns the source text a position spans, end character included.
func spanText(src *Source, p Pos) string {
	start := byteOffset(src, p.Line, p.Col)
	end := byteOffset(src, p.EndLine, p.EndCol)
	if end < len(src.Text) {
		_, n := utf8.DecodeRuneInString(src.Text[end:])
		end += n
	}
	if end < start {
		return ""
	}
	return src.Text[start:end]
}

// byteOffset converts a 1-based line and character column to a byte offset
// in the file, clamped to the line.
func byteOffset(src *Source, line, col int) int {
	if line < 1 {
		return 0
	}
	if line > src.Lines() {
		return len(src.Text)
	}
	start := src.LineOffset(line)
	text := src.LineText(line)
	return start + byteColumn(text, col) - 1
}

// byteColumn converts a 1-based character column of a line to a 1-based
// byte column (as reviewdog counts), clamped to one past the line's end.
func byteColumn(line string, col int) int {
	off := 0
	for i := 1; i < col && off < len(line); i++ {
		_, n := utf8.DecodeRuneInString(line[off:])
		off += n
	}
	return off + 1
}

// lineChars is the number of characters of line n.
func lineChars(src *Source, n int) int { return utf8.RuneCountInString(src.LineText(n)) }

// details is the plain-text body of a finding below its message: the lock,
// what it holds, whom it breaks and the fix. Empty lines are left out.
func details(f Finding) string {
	var b strings.Builder
	if f.Lock.Mode != NoLock {
		fmt.Fprintf(&b, "Lock: %s on %s (blocks %s%s)\n", f.Lock.Mode, f.Lock.Relation, f.Lock.Mode.Blocks(), costPhrase(f.Cost))
	}
	if f.Held != "" {
		fmt.Fprintf(&b, "Held: %s, until the file commits\n", f.Held)
	}
	if f.Breaks != BreaksNone {
		fmt.Fprintf(&b, "Breaks: %s\n", f.Breaks.Describe())
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, "Fix:\n%s\n", strings.TrimRight(f.Fix, "\n"))
	}
	return strings.TrimRight(b.String(), "\n")
}

// costPhrase says how long the lock is held.
func costPhrase(c Cost) string {
	switch c {
	case Scan:
		return ", for a full table scan"
	case Rewrite:
		return ", for a full table rewrite"
	}
	return ", briefly once granted"
}

// ruleFor returns the rule of a finding, or a stand-in for an id that is
// not registered (a finding read back from JSON by a newer lockstep).
func ruleFor(rules map[string]*Rule, id string) *Rule {
	if r := rules[id]; r != nil {
		return r
	}
	return &Rule{ID: id, Summary: id, Doc: id, Severity: Warning}
}

func ruleIndex() map[string]*Rule {
	m := map[string]*Rule{}
	for _, r := range Rules() {
		m[r.ID] = r
	}
	return m
}
