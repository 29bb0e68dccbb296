package diff

import (
	"fmt"
	"strings"
)

// Mode says which findings may become comments, as reviewdog's -filter-mode.
type Mode string

const (
	// ModeAdded comments on findings that touch a line the change adds.
	ModeAdded Mode = "added"
	// ModeDiffContext comments on findings that touch any line shown in a
	// hunk, unchanged context included.
	ModeDiffContext Mode = "diff_context"
	// ModeFile comments on findings anywhere in a changed file: inline when
	// a line of it is in a hunk, else on the file.
	ModeFile Mode = "file"
	// ModeNoFilter is ModeFile; findings in files the change does not touch
	// cannot be comments anywhere and stay annotations.
	ModeNoFilter Mode = "nofilter"
)

// Modes lists the modes, for help texts.
var Modes = []Mode{ModeAdded, ModeDiffContext, ModeFile, ModeNoFilter}

// ParseMode reads a mode; "" is ModeAdded.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return ModeAdded, nil
	}
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("unknown filter mode %q (want %s)", s, strings.Join(names, ", "))
}

// Where is where a finding can be shown in the review.
type Where int

const (
	// Nowhere: not a comment (filtered out, or its file is not in the diff).
	Nowhere Where = iota
	// Inline: a comment on lines of the diff.
	Inline
	// OnFile: a comment on the file as a whole.
	OnFile
)

// Placement is where a finding on lines first..last of a file goes.
type Placement struct {
	Where Where
	// OldPath and Path are the file's paths before and after the change
	// (equal for a file that is neither added nor renamed; OldPath is Path
	// for an added file, as GitLab positions want).
	OldPath, Path string
	// StartLine..EndLine is the new-side range the comment covers; Start is
	// the first line's diff entry (its Old line is what GitLab needs for an
	// unchanged line).
	StartLine, EndLine int
	Start              Line
	// Whole is true when the comment covers the finding's whole range, so a
	// suggested change may replace it.
	Whole bool
}

// Place decides where a finding on new-side lines first..last of path goes
// in mode m. A nil Diff knows no changes: every finding is Inline, as if
// every file were added (for writers without a diff, e.g. local files).
func (d *Diff) Place(p string, first, last int, m Mode) Placement {
	p = Clean(p)
	if last < first {
		last = first
	}
	if d == nil {
		return Placement{Where: Inline, OldPath: p, Path: p, StartLine: first, EndLine: last,
			Start: Line{New: first, Kind: Added}, Whole: true}
	}
	f := d.files[p]
	if f == nil {
		return Placement{Where: Nowhere, Path: p}
	}
	pl := Placement{OldPath: f.OldPath, Path: f.NewPath}
	if pl.OldPath == "" {
		pl.OldPath = f.NewPath
	}
	var in []Line
	added := false
	for n := first; n <= last; n++ {
		if l, ok := f.lines[n]; ok {
			in = append(in, l)
			added = added || l.Kind == Added
		}
	}
	switch {
	case m == ModeAdded && !added, m == ModeDiffContext && len(in) == 0:
		return pl // Nowhere
	case len(in) == 0: // file, nofilter: the file, not a line
		pl.Where = OnFile
		return pl
	}
	pl.Where = Inline
	if len(in) == last-first+1 && in[0].Hunk == in[len(in)-1].Hunk {
		pl.StartLine, pl.EndLine, pl.Start, pl.Whole = first, last, in[0], true
		return pl
	}
	// Part of the range is outside the hunks: comment on the last line of
	// the range that is in the diff (an added one in added mode), alone.
	anchor := in[len(in)-1]
	if m == ModeAdded {
		for i := len(in) - 1; i >= 0; i-- {
			if in[i].Kind == Added {
				anchor = in[i]
				break
			}
		}
	}
	pl.StartLine, pl.EndLine, pl.Start = anchor.New, anchor.New, anchor
	return pl
}
