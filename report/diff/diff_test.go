package diff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pr.diff is real `git diff -M` output (testdata/gen.sh re-makes it): a file
// changed in two hunks, a rename with an edit, a pure rename, an added and a
// deleted file.
func loadPR(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/pr.diff")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFiles(t *testing.T) {
	d, err := Parse(loadPR(t))
	if err != nil {
		t.Fatal(err)
	}
	type fileInfo struct {
		Old, New                string
		Added, Renamed, NoPatch bool
	}
	var got []fileInfo
	for _, f := range d.Files() {
		got = append(got, fileInfo{f.OldPath, f.NewPath, f.Added(), f.Renamed(), f.NoPatch})
	}
	want := []fileInfo{
		{"db/keep.sql", "db/kept.sql", false, true, false},
		{"db/orders.sql", "db/orders_v2.sql", false, true, false},
		{"migrations/001_users.up.sql", "migrations/001_users.up.sql", false, false, false},
		{"", "migrations/002_index.up.sql", true, false, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if f := d.File("db/gone.sql"); f != nil {
		t.Errorf("File(deleted) = %+v; want nil", f)
	}
}

// lineCases are checked against both the unified diff and the per-file
// patches an API returns.
var lineCases = []struct {
	path string
	n    int
	want Line
	ok   bool
}{
	{"migrations/001_users.up.sql", 1, Line{New: 1, Old: 1, Kind: Context, Hunk: 0}, true},
	{"migrations/001_users.up.sql", 3, Line{New: 3, Kind: Added, Hunk: 0}, true},
	{"migrations/001_users.up.sql", 4, Line{New: 4, Old: 4, Kind: Context, Hunk: 0}, true},
	{"migrations/001_users.up.sql", 6, Line{New: 6, Old: 6, Kind: Context, Hunk: 0}, true},
	{"migrations/001_users.up.sql", 7, Line{}, false}, // between the hunks
	{"migrations/001_users.up.sql", 22, Line{}, false},
	{"migrations/001_users.up.sql", 23, Line{New: 23, Old: 23, Kind: Context, Hunk: 1}, true},
	{"migrations/001_users.up.sql", 26, Line{New: 26, Kind: Added, Hunk: 1}, true},
	{"migrations/001_users.up.sql", 27, Line{New: 27, Old: 26, Kind: Context, Hunk: 1}, true}, // shifted by the insert
	{"migrations/001_users.up.sql", 29, Line{New: 29, Old: 28, Kind: Context, Hunk: 1}, true},
	{"migrations/001_users.up.sql", 30, Line{}, false},
	{"db/orders_v2.sql", 2, Line{New: 2, Kind: Added, Hunk: 0}, true},
	{"db/orders_v2.sql", 3, Line{New: 3, Old: 3, Kind: Context, Hunk: 0}, true},
	{"db/kept.sql", 1, Line{}, false}, // pure rename: no lines
	{"migrations/002_index.up.sql", 1, Line{New: 1, Kind: Added, Hunk: 0}, true},
	{"migrations/002_index.up.sql", 3, Line{New: 3, Kind: Added, Hunk: 0}, true},
	{"migrations/002_index.up.sql", 4, Line{}, false},
}

func TestLines(t *testing.T) {
	unified, err := Parse(loadPR(t))
	if err != nil {
		t.Fatal(err)
	}
	patches := fromPatches(t, loadPR(t))
	for name, d := range map[string]*Diff{"unified": unified, "patches": patches} {
		for _, c := range lineCases {
			f := d.File(c.path)
			if f == nil {
				t.Errorf("%s: File(%s) = nil", name, c.path)
				continue
			}
			got, ok := f.Line(c.n)
			if ok != c.ok || got != c.want {
				t.Errorf("%s: %s Line(%d) = %+v, %v; want %+v, %v", name, c.path, c.n, got, ok, c.want, c.ok)
			}
		}
	}
}

// fromPatches splits a git diff into the per-file form the GitHub and GitLab
// APIs return (paths apart, hunks only) and builds a Diff with AddPatch.
func fromPatches(t *testing.T, unified []byte) *Diff {
	t.Helper()
	d := New()
	for _, part := range strings.Split(string(unified), "diff --git ")[1:] {
		var oldPath, newPath string
		lines := strings.Split(part, "\n")
		head, _, _ := strings.Cut(lines[0], " b/")
		oldPath = strings.TrimPrefix(head, "a/")
		newPath = strings.TrimSpace(lines[0][len(head)+3:])
		patch := ""
		for i, l := range lines {
			switch {
			case strings.HasPrefix(l, "new file mode"):
				oldPath = ""
			case strings.HasPrefix(l, "deleted file mode"):
				newPath = ""
			case strings.HasPrefix(l, "@@") && patch == "":
				patch = strings.Join(lines[i:], "\n")
			}
		}
		if err := d.AddPatch(oldPath, newPath, patch); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestPlace(t *testing.T) {
	d, err := Parse(loadPR(t))
	if err != nil {
		t.Fatal(err)
	}
	const users = "migrations/001_users.up.sql"
	const added = "migrations/002_index.up.sql"
	tests := []struct {
		name        string
		path        string
		first, last int
		mode        Mode
		want        Placement
	}{
		{"added line, added mode", users, 3, 3, ModeAdded,
			Placement{Inline, users, users, 3, 3, Line{3, 0, Added, 0}, true}},
		{"context line, added mode", users, 4, 4, ModeAdded,
			Placement{Where: Nowhere, OldPath: users, Path: users}},
		{"context line, diff_context", users, 4, 4, ModeDiffContext,
			Placement{Inline, users, users, 4, 4, Line{4, 4, Context, 0}, true}},
		{"range with an added line inside a hunk", users, 25, 27, ModeAdded,
			Placement{Inline, users, users, 25, 27, Line{25, 25, Context, 1}, true}},
		{"range leaving the hunk anchors on its added line", users, 1, 9, ModeAdded,
			Placement{Inline, users, users, 3, 3, Line{3, 0, Added, 0}, false}},
		{"range leaving the hunk, diff_context anchors on the last diff line", users, 5, 9, ModeDiffContext,
			Placement{Inline, users, users, 6, 6, Line{6, 6, Context, 0}, false}},
		{"outside hunks, added mode", users, 10, 12, ModeAdded,
			Placement{Where: Nowhere, OldPath: users, Path: users}},
		{"outside hunks, file mode", users, 10, 12, ModeFile,
			Placement{Where: OnFile, OldPath: users, Path: users}},
		{"outside hunks, nofilter", users, 10, 12, ModeNoFilter,
			Placement{Where: OnFile, OldPath: users, Path: users}},
		{"file not in the diff", "migrations/000_init.up.sql", 1, 1, ModeNoFilter,
			Placement{Where: Nowhere, Path: "migrations/000_init.up.sql"}},
		{"added file, multi-line statement", added, 2, 3, ModeAdded,
			Placement{Inline, added, added, 2, 3, Line{2, 0, Added, 0}, true}},
		{"renamed file keeps its old path", "db/orders_v2.sql", 2, 2, ModeAdded,
			Placement{Inline, "db/orders.sql", "db/orders_v2.sql", 2, 2, Line{2, 0, Added, 0}, true}},
		{"renamed file, unchanged line", "./db/orders_v2.sql", 3, 3, ModeDiffContext,
			Placement{Inline, "db/orders.sql", "db/orders_v2.sql", 3, 3, Line{3, 3, Context, 0}, true}},
		{"pure rename, file mode", "db/kept.sql", 1, 1, ModeFile,
			Placement{Where: OnFile, OldPath: "db/keep.sql", Path: "db/kept.sql"}},
		{"deleted file", "db/gone.sql", 1, 1, ModeNoFilter,
			Placement{Where: Nowhere, Path: "db/gone.sql"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Place(tt.path, tt.first, tt.last, tt.mode)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Place(%s, %d, %d, %s) (-want +got):\n%s", tt.path, tt.first, tt.last, tt.mode, diff)
			}
		})
	}
}

func TestPlaceNilDiff(t *testing.T) {
	var d *Diff
	got := d.Place("a.sql", 4, 2, ModeAdded)
	want := Placement{Inline, "a.sql", "a.sql", 4, 4, Line{New: 4, Kind: Added}, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nil Place (-want +got):\n%s", diff)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAdded, "added": ModeAdded, "diff_context": ModeDiffContext, "file": ModeFile, "nofilter": ModeNoFilter} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMode("changed"); err == nil || !strings.Contains(err.Error(), "added, diff_context, file, nofilter") {
		t.Errorf("ParseMode(changed) error = %v; want the list of modes", err)
	}
}

// TestFixtureIsCurrent re-makes the fixture with the git installed here and
// checks it parses to the same lines, so the test does not rest on a
// hand-edited diff.
func TestFixtureIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	script, _ := filepath.Abs("testdata/gen.sh")
	cp := filepath.Join(dir, "gen.sh")
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", cp)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, out)
	}
	fresh, err := os.ReadFile(filepath.Join(dir, "pr.diff"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(fresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range lineCases {
		got, ok := a.File(c.path).Line(c.n)
		if ok != c.ok || got != c.want {
			t.Errorf("fresh diff: %s Line(%d) = %+v, %v; want %+v, %v", c.path, c.n, got, ok, c.want, c.ok)
		}
	}
}

func TestParseBad(t *testing.T) {
	if _, err := Parse([]byte("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,x +1 @@\n-a\n+b\n")); err == nil {
		t.Error("Parse(bad hunk header) = nil error")
	}
	if d, err := Parse(nil); err != nil || len(d.Files()) != 0 {
		t.Errorf("Parse(empty) = %v, %v; want an empty diff", d, err)
	}
	d := New()
	if err := d.AddPatch("", "big.sql", ""); err != nil || !d.File("big.sql").NoPatch {
		t.Errorf("AddPatch(no patch) = %v; want a NoPatch file", err)
	}
}
