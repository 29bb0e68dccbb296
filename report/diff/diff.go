// Package diff maps findings onto the lines a pull or merge request changes.
// It reads unified diffs (from git, or the per-file patches the GitHub and
// GitLab APIs return) with sourcegraph/go-diff, indexes each file's new-side
// lines with their old-side counterparts, and decides, for a filter mode,
// whether a finding becomes an inline comment, a file-level comment or
// neither. It knows nothing of SQL or of any platform's API.
package diff

import (
	"errors"
	"fmt"
	"path"
	"strings"

	godiff "github.com/sourcegraph/go-diff/diff"
)

// Kind is what a diff line is on the new side.
type Kind int

const (
	// Context is an unchanged line shown around a change.
	Context Kind = iota + 1
	// Added is a line the change adds.
	Added
)

func (k Kind) String() string {
	switch k {
	case Context:
		return "context"
	case Added:
		return "added"
	}
	return "none"
}

// Line is one new-side line of a hunk.
type Line struct {
	// New is the line number in the new file; Old in the old file (0 for an
	// added line).
	New, Old int
	Kind     Kind
	// Hunk is the index of the hunk the line is in.
	Hunk int
}

// File is one changed file.
type File struct {
	// OldPath is the path before the change ("" for a file the change adds);
	// NewPath after it ("" for a deleted file).
	OldPath, NewPath string
	// NoPatch marks a file whose lines are unknown (binary, or too large for
	// the API to return a patch): it is in the diff, no line of it is.
	NoPatch bool
	lines   map[int]Line
}

// Added reports whether the change adds the file.
func (f *File) Added() bool { return f.OldPath == "" }

// Renamed reports whether the change moves the file.
func (f *File) Renamed() bool { return f.OldPath != "" && f.NewPath != "" && f.OldPath != f.NewPath }

// Line returns new-side line n, when it is in a hunk.
func (f *File) Line(n int) (Line, bool) {
	l, ok := f.lines[n]
	return l, ok
}

// Diff is a set of changed files, keyed by new path.
type Diff struct {
	files map[string]*File
	order []string
}

// New returns an empty Diff; fill it with AddPatch.
func New() *Diff { return &Diff{files: map[string]*File{}} }

// Files returns the changed files in the order they were added.
func (d *Diff) Files() []*File {
	out := make([]*File, 0, len(d.order))
	for _, p := range d.order {
		out = append(out, d.files[p])
	}
	return out
}

// File returns the file whose new path is p (slash-separated, relative to
// the repository root; "./" and "a/"-style prefixes are not stripped here).
func (d *Diff) File(p string) *File { return d.files[Clean(p)] }

// Clean normalizes a repository path: forward slashes, no "./".
func Clean(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	if p == "" {
		return ""
	}
	return strings.TrimPrefix(path.Clean(p), "./")
}

// Parse reads a unified diff of one or more files, as `git diff` prints it
// (renames, added and deleted files included).
func Parse(unified []byte) (*Diff, error) {
	d := New()
	if len(strings.TrimSpace(string(unified))) == 0 {
		return d, nil
	}
	fds, err := godiff.ParseMultiFileDiff(unified)
	if err != nil {
		return nil, fmt.Errorf("parse diff: %w", err)
	}
	for _, fd := range fds {
		oldPath, newPath := stripPrefix(fd.OrigName), stripPrefix(fd.NewName)
		binary := false
		for _, x := range fd.Extended {
			if strings.HasPrefix(x, "Binary files ") || x == "GIT binary patch" {
				binary = true
			}
		}
		if err := d.add(oldPath, newPath, fd.Hunks, binary && len(fd.Hunks) == 0); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// AddPatch adds one file from an API's per-file patch: hunks only, without
// file headers (GitHub's pull request files, GitLab's merge request diffs).
// oldPath is "" for an added file, newPath "" for a deleted one. An empty
// patch marks the file NoPatch, unless it is a pure rename.
func (d *Diff) AddPatch(oldPath, newPath, patch string) error {
	if strings.TrimSpace(patch) == "" {
		return d.add(Clean(oldPath), Clean(newPath), nil, !(oldPath != "" && newPath != "" && oldPath != newPath))
	}
	if !strings.HasSuffix(patch, "\n") {
		patch += "\n"
	}
	hunks, err := godiff.ParseHunks([]byte(patch))
	if err != nil {
		return fmt.Errorf("parse patch of %s: %w", newPath, err)
	}
	return d.add(Clean(oldPath), Clean(newPath), hunks, false)
}

func (d *Diff) add(oldPath, newPath string, hunks []*godiff.Hunk, noPatch bool) error {
	f := &File{OldPath: oldPath, NewPath: newPath, NoPatch: noPatch, lines: map[int]Line{}}
	for hi, h := range hunks {
		if err := index(f, hi, h); err != nil {
			return fmt.Errorf("%s: hunk %d: %w", displayPath(f), hi+1, err)
		}
	}
	if newPath == "" { // deleted: nothing on the new side to comment on
		return nil
	}
	if _, dup := d.files[newPath]; !dup {
		d.order = append(d.order, newPath)
	}
	d.files[newPath] = f
	return nil
}

func displayPath(f *File) string {
	if f.NewPath != "" {
		return f.NewPath
	}
	return f.OldPath
}

// index walks a hunk's body, numbering its lines on both sides.
func index(f *File, hi int, h *godiff.Hunk) error {
	oldN, newN := int(h.OrigStartLine), int(h.NewStartLine)
	body := strings.TrimSuffix(string(h.Body), "\n")
	if body == "" {
		return nil
	}
	for _, l := range strings.Split(body, "\n") {
		if l == "" { // an empty context line whose space was stripped
			l = " "
		}
		switch l[0] {
		case ' ':
			f.lines[newN] = Line{New: newN, Old: oldN, Kind: Context, Hunk: hi}
			oldN++
			newN++
		case '+':
			f.lines[newN] = Line{New: newN, Kind: Added, Hunk: hi}
			newN++
		case '-':
			oldN++
		case '\\': // "\ No newline at end of file"
		default:
			return errors.New("unexpected line " + fmt.Sprintf("%q", l))
		}
	}
	return nil
}

// stripPrefix turns git's "a/x", "b/x" and "/dev/null" into repository paths.
func stripPrefix(p string) string {
	if p == "/dev/null" || p == "" {
		return ""
	}
	if strings.HasPrefix(p, "a/") || strings.HasPrefix(p, "b/") {
		p = p[2:]
	}
	return Clean(p)
}
