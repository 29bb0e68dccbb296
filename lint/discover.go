package lint

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Direction is up or down.
type Direction string

const (
	Up   Direction = "up"
	Down Direction = "down"
)

// Migration is a golang-migrate file: NNN_name.up.sql or NNN_name.down.sql.
type Migration struct {
	// Path is the file's path: dir joined with its name.
	Path      string
	Version   uint64
	Name      string
	Direction Direction
}

// ParseMigrationName reads a golang-migrate file name, restricted to .sql:
// NNN_title.up.sql or NNN_title.down.sql (the title may be empty). It is
// called for every file of a history, so it scans by hand.
func ParseMigrationName(name string) (version uint64, title string, dir Direction, ok bool) {
	i := 0
	for i < len(name) && name[i] >= '0' && name[i] <= '9' {
		i++
	}
	if i == 0 || i == len(name) || name[i] != '_' {
		return 0, "", "", false
	}
	rest := name[i+1:]
	if t, up := strings.CutSuffix(rest, ".up.sql"); up {
		title, dir = t, Up
	} else if t, down := strings.CutSuffix(rest, ".down.sql"); down {
		title, dir = t, Down
	} else {
		return 0, "", "", false
	}
	v, err := strconv.ParseUint(name[:i], 10, 64)
	if err != nil {
		return 0, "", "", false
	}
	return v, title, dir, true
}

// Discover lists the golang-migrate files of a directory, up files ordered by
// version, each down file after its up file. Files of other extensions are
// ignored, as golang-migrate does; subdirectories are not entered.
//
// Errors (bad input, fault.Input): a .sql file whose name does not follow the
// pattern, two up (or down) files of one version, a down file without its up
// file, an unreadable directory.
func Discover(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fault.Errorf(fault.Input, "%s: %v", dir, unwrapPathError(err))
	}
	type pair struct{ up, down *Migration }
	byVersion := map[uint64]*pair{}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".sql" {
			continue
		}
		path := filepath.Join(dir, e.Name())
		v, title, d, ok := ParseMigrationName(e.Name())
		if !ok {
			return nil, fault.Errorf(fault.Input, "%s: misnamed migration file: want NNN_name.up.sql or NNN_name.down.sql", path)
		}
		p := byVersion[v]
		if p == nil {
			p = &pair{}
			byVersion[v] = p
		}
		m := &Migration{Path: path, Version: v, Name: title, Direction: d}
		slot := &p.up
		if d == Down {
			slot = &p.down
		}
		if *slot != nil {
			return nil, fault.Errorf(fault.Input, "%s: duplicate migration version %d (also %s)", path, v, (*slot).Path)
		}
		*slot = m
	}
	versions := make([]uint64, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] < versions[j] })
	var out []Migration
	for _, v := range versions {
		p := byVersion[v]
		if p.up == nil {
			return nil, fault.Errorf(fault.Input, "%s: down migration without an up migration of version %d", p.down.Path, v)
		}
		out = append(out, *p.up)
		if p.down != nil {
			out = append(out, *p.down)
		}
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// DirFS opens a directory path for Discover, keeping paths as given.
func DirFS() fs.FS { return osFS{} }

type osFS struct{}

func (osFS) Open(name string) (fs.File, error) { return os.Open(name) }

func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

func (osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
