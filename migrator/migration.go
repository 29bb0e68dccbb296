package migrator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// Migration is one golang-migrate up file and what lockstep reads from it:
// its phase (declared in a -- lockstep:phase header or inferred by lint),
// its checksum and, for a batched backfill, its -- lockstep:batch header.
type Migration struct {
	Version uint64
	// Name is the part of the file name between the version and .up.sql.
	Name string
	// Label is the file name without .up.sql, e.g. 0042_drop_legacy: how
	// lockstep names the migration in every message.
	Label string
	// Path is the file's path as given (dir joined with its name).
	Path  string
	Phase lint.Phase
	// Declared is true when the phase comes from a header.
	Declared bool
	// Inferred is the phase lint reads from the statements.
	Inferred lint.Phase
	SQL      string
	// Checksum is the SHA-256 of the file, hex.
	Checksum string
	// Batch is set for a file with a -- lockstep:batch header.
	Batch *Batch

	file *lint.File
}

// checksum is the hex SHA-256 of a file's bytes.
func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Load reads the up files of a golang-migrate directory (the root of fsys;
// dir is how messages name it) in version order,
// with their phases as lint classifies them under cfg.
//
// Errors: fault.Input for a misnamed or unreadable file and for SQL that
// does not parse (naming file:line:col); fault.Usage for a bad lockstep:
// directive (naming file:line).
func Load(ctx context.Context, fsys fs.FS, dir string, cfg lint.Config) ([]*Migration, error) {
	files, err := lint.Discover(fsys, ".")
	if err != nil {
		if dir != "." {
			err = fault.Errorf(fault.Input, "%s: %s", dir, strings.TrimPrefix(err.Error(), ".: "))
		}
		return nil, err
	}
	var out []*Migration
	var inputs []lint.Input
	for _, f := range files {
		if f.Direction != lint.Up {
			continue
		}
		b, err := fs.ReadFile(fsys, f.Path)
		shown := path.Join(dir, f.Path)
		if err != nil {
			return nil, fault.Errorf(fault.Input, "%s: %v", shown, err)
		}
		out = append(out, &Migration{
			Version:  f.Version,
			Name:     f.Name,
			Label:    strings.TrimSuffix(path.Base(f.Path), ".up.sql"),
			Path:     shown,
			SQL:      string(b),
			Checksum: checksum(b),
		})
		inputs = append(inputs, lint.Input{Path: shown, Text: string(b)})
	}
	if len(out) == 0 {
		return nil, nil
	}
	linter, err := lint.New(cfg)
	if err != nil {
		return nil, err
	}
	res, err := linter.Lint(ctx, inputs)
	if err != nil {
		return nil, err
	}
	if errs := res.SyntaxErrors(); len(errs) > 0 {
		return nil, fault.Errorf(fault.Input, "%s", errs[0])
	}
	for i, m := range out {
		fr := res.Files[i]
		m.file = lint.Parse(lint.NewSource(m.Path, m.SQL))
		m.Inferred = fr.Inferred
		m.Phase, m.Declared = fr.Phase, fr.Declared != lint.PhaseNone
		b, err := parseBatch(m)
		if err != nil {
			return nil, err
		}
		m.Batch = b
		if b != nil {
			if m.Declared && m.Phase != lint.Backfill {
				return nil, fault.Errorf(fault.Usage, "%s:%d: lockstep:batch in a file declared %s: a batched file is a backfill", m.Path, b.Line, m.Phase)
			}
			m.Phase = lint.Backfill
		}
		if m.Phase == lint.PhaseNone {
			// Nothing either release sees changes (GRANT, ANALYZE, SET):
			// it runs with the expand files, before the deploy.
			m.Phase = lint.Expand
		}
	}
	return out, nil
}
