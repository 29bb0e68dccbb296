package lint

import (
	"regexp"
	"strings"
)

// Directive is a `-- lockstep:<verb> <args>` comment in a migration file.
//
// Verbs lint reads: ignore (the next statement), ignore-file (the whole
// file) and phase (the file's declared phase). Others (batch) belong to the
// migrator; unknown verbs are configuration errors, so a typo never silently
// disables a check.
type Directive struct {
	Verb string
	Args string
	Line int
	// Offset is the byte offset of the comment's start, End of its line's end.
	Offset, End int
}

// Known directive verbs.
const (
	DirIgnore     = "ignore"
	DirIgnoreFile = "ignore-file"
	DirPhase      = "phase"
	DirBatch      = "batch"
)

var directiveRe = regexp.MustCompile(`^\s*--\s*lockstep:([A-Za-z][A-Za-z0-9-]*)[ \t]*(.*?)\s*$`)

func parseDirectives(src *Source) []Directive {
	if !strings.Contains(src.Text, "lockstep:") {
		return nil
	}
	var out []Directive
	for n := 1; n <= src.Lines(); n++ {
		line := src.LineText(n)
		if !strings.Contains(line, "lockstep:") {
			continue
		}
		m := directiveRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		off := src.LineOffset(n)
		out = append(out, Directive{Verb: m[1], Args: m[2], Line: n, Offset: off, End: off + len(line)})
	}
	return out
}

// Directive returns the first directive with that verb, if any.
func (f *File) Directive(verb string) (Directive, bool) {
	for _, d := range f.Directives {
		if d.Verb == verb {
			return d, true
		}
	}
	return Directive{}, false
}

// ignore is a parsed ignore or ignore-file directive.
type ignore struct {
	Directive
	rules  []string
	reason string
	file   bool
	// target is the statement an ignore directive applies to.
	target *Statement
	used   map[string]bool
}

// parseIgnore splits "rule-a,rule-b reason text".
func parseIgnore(d Directive) (rules []string, reason string) {
	args := strings.TrimSpace(d.Args)
	ids, rest, _ := strings.Cut(args, " ")
	for _, id := range strings.Split(ids, ",") {
		if id = strings.TrimSpace(id); id != "" {
			rules = append(rules, id)
		}
	}
	return rules, strings.TrimSpace(rest)
}
