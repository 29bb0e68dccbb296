// Package plan writes the migration files of a breaking schema change as
// expand, backfill and contract steps across releases, and the checklist of
// what the application code must do in each release. It belongs to the
// migrator: the files it writes carry the -- lockstep:phase and
// -- lockstep:batch headers that lockstep migrate runs them by.
//
// A plan is generated against the schema the directory's history leaves
// (lint's replayed Catalog), so it knows column types, NOT NULL, defaults,
// primary keys, indexes and constraints:
//
//	h, _ := plan.Load(fsys, "migrations")
//	p, _ := plan.Generate(h, plan.Request{Kind: "rename-column", Args: []string{"users.name", "full_name"}}, cfg)
//	paths, _ := p.Write("migrations")
//
// Every plan is checked with lint before it is written (Check): a plan whose
// files lint reports an error on is refused.
package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// Kind describes one change plan can sequence.
type Kind struct {
	Name    string
	Args    string // argument syntax, e.g. "TABLE.OLD NEW"
	Summary string
	nargs   int
	gen     func(g *gen) error
}

// Kinds lists the changes, in help order.
func Kinds() []Kind {
	return []Kind{
		{Name: "rename-column", Args: "TABLE.OLD NEW", nargs: 2, gen: genRenameColumn,
			Summary: "new column + two-way sync trigger, batched copy, drop the old column a release later"},
		{Name: "rename-table", Args: "OLD NEW", nargs: 2, gen: genRenameTable,
			Summary: "an updatable view under the new name, then the rename a release later"},
		{Name: "change-column-type", Args: "TABLE.COL TYPE", nargs: 2, gen: genChangeType,
			Summary: "new column of the new type + sync trigger, batched copy, drop the old column a release later"},
		{Name: "drop-column", Args: "TABLE.COL", nargs: 1, gen: genDropColumn,
			Summary: "make it optional now, drop it once no release uses it"},
		{Name: "set-not-null", Args: "TABLE.COL", nargs: 1, gen: genSetNotNull,
			Summary: "CHECK NOT VALID, backfill, VALIDATE, then SET NOT NULL without a scan"},
		{Name: "add-foreign-key", Args: "TABLE.COL REFTABLE.COL", nargs: 2, gen: genAddForeignKey,
			Summary: "index CONCURRENTLY, FOREIGN KEY NOT VALID, VALIDATE in a later file"},
		{Name: "add-unique", Args: "TABLE.COL[,COL...]", nargs: 1, gen: genAddUnique,
			Summary: "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"},
		{Name: "add-check", Args: "TABLE NAME EXPR", nargs: 3, gen: genAddCheck,
			Summary: "CHECK NOT VALID, VALIDATE in a later file"},
	}
}

// KindNamed finds a change kind.
func KindNamed(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Request is one change to plan, with its options.
type Request struct {
	Kind string
	Args []string
	// Key is the column the backfill batches are cut on (default: the
	// table's single-column primary key).
	Key string
	// BatchSize is the backfill's first batch size (default 5000).
	BatchSize int
	// Name names the constraint or index plan creates (add-foreign-key,
	// add-unique, set-not-null's CHECK).
	Name string
	// Column names the new column of change-column-type (default COL_new).
	Column string
	// Default, for set-not-null, is a default expression set in the expand
	// step, so that inserts which omit the column keep working.
	Default string
	// Fill, for set-not-null, is the value the backfill writes into the
	// rows that are NULL.
	Fill string
	// OnDelete is add-foreign-key's ON DELETE action (cascade, restrict,
	// set null, set default, no action).
	OnDelete string
}

// Config is how the files are written.
type Config struct {
	// Runner decides how lock_timeout is set: SET LOCAL inside the implicit
	// transaction golang-migrate runs a file in, SET (and RESET) otherwise.
	Runner lint.Runner
	// LockTimeout is the lock_timeout of the steps that take a lock which
	// blocks traffic (default 2s).
	LockTimeout time.Duration
	// Release names the release that ships the plan, for the annotations
	// ("" writes "release N").
	Release string
	// Now is the clock for timestamp-numbered directories (nil: time.Now).
	Now func() time.Time
}

// DefaultBatchSize is the backfill batch size when the request names none.
const DefaultBatchSize = 5000

// File is one migration file of a plan.
type File struct {
	// Name is the file name, e.g. 0042_rename_users_name_expand.up.sql.
	Name    string
	Version uint64
	Phase   lint.Phase
	// Release is 0 for the release that ships the plan, 1 for the next one
	// (whose rollout the contract steps wait for).
	Release int
	// Summary says what the step does, in one line.
	Summary string
	SQL     string
}

// ReleaseSteps is the app-code checklist of one release.
type ReleaseSteps struct {
	Release int
	Steps   []string
}

// Plan is a generated change: its files and checklists.
type Plan struct {
	// Command is the lockstep plan command line that made it.
	Command string
	Files   []File
	// Before lists checks to run against production data before shipping.
	Before []string
	// Code is the app-code checklist per release.
	Code []ReleaseSteps
	// Notes are remarks about the generated plan.
	Notes  []string
	cfg    Config
	parsed []parsedFile
}

type parsedFile struct {
	phase   lint.Phase
	release int
	slug    string
	summary string
	body    string
}

// Generate plans a change against a directory's history. Errors are
// fault.Usage naming the argument (unknown change, bad arguments, a table
// or column the history does not define when the change needs it, a change
// plan cannot make safely).
func Generate(h *History, req Request, cfg Config) (*Plan, error) {
	k, ok := KindNamed(req.Kind)
	if !ok {
		var names []string
		for _, k := range Kinds() {
			names = append(names, k.Name)
		}
		return nil, fault.Errorf(fault.Usage, "unknown change %q (want one of %s)", req.Kind, strings.Join(names, ", "))
	}
	if len(req.Args) != k.nargs {
		return nil, fault.Errorf(fault.Usage, "%s takes %s", k.Name, k.Args)
	}
	if cfg.LockTimeout <= 0 {
		cfg.LockTimeout = 2 * time.Second
	}
	if cfg.Runner == "" {
		cfg.Runner = lint.RunnerGolangMigrate
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if req.BatchSize == 0 {
		req.BatchSize = DefaultBatchSize
	}
	if req.BatchSize < 1 {
		return nil, fault.Errorf(fault.Usage, "--batch-size %d: want a positive number", req.BatchSize)
	}
	p := &Plan{Command: command(req), cfg: cfg}
	g := &gen{h: h, req: req, cfg: cfg, p: p}
	if err := k.gen(g); err != nil {
		return nil, err
	}
	if len(p.parsed) == 0 {
		return nil, fault.Errorf(fault.Usage, "%s: nothing to do", p.Command)
	}
	for _, pf := range p.parsed {
		if pf.phase == lint.Contract && p.stepsOf(pf.release+1) == nil {
			g.code(pf.release+1, fmt.Sprintf("nothing to change: the contract step runs once %s is fully rolled out", p.ReleaseName(pf.release+1)))
		}
	}
	versions := h.numbering.next(len(p.parsed), cfg.Now())
	for i, pf := range p.parsed {
		name := fmt.Sprintf("%s_%s.up.sql", versions[i].text, pf.slug)
		p.Files = append(p.Files, File{
			Name: name, Version: versions[i].n, Phase: pf.phase, Release: pf.release, Summary: pf.summary,
			SQL: p.render(i, pf),
		})
	}
	return p, nil
}

// command spells the request as a command line.
func command(req Request) string {
	parts := []string{"lockstep plan", req.Kind}
	for _, a := range req.Args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._,-=/:", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ReleaseName names release n (0: the one that ships the plan).
func (p *Plan) ReleaseName(n int) string {
	r := p.cfg.Release
	switch {
	case r == "" && n < 0:
		return fmt.Sprintf("release N%d", n)
	case n < 0:
		return "the release before " + r
	case r == "" && n == 0:
		return "release N"
	case r == "":
		return fmt.Sprintf("release N+%d", n)
	case n == 0:
		return "release " + r
	case n == 1:
		return "the release after " + r
	}
	return fmt.Sprintf("release %s+%d", r, n)
}

func (p *Plan) render(i int, pf parsedFile) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- lockstep:phase %s\n", pf.phase)
	body := pf.body
	// The batch header travels with the body; keep the phase header first.
	if strings.HasPrefix(body, "-- lockstep:batch") {
		nl := strings.IndexByte(body, '\n')
		b.WriteString(body[:nl+1])
		body = body[nl+1:]
	}
	when := map[lint.Phase]string{
		lint.Expand:   "before the deploy of " + p.ReleaseName(pf.release),
		lint.Backfill: "after the expand steps of " + p.ReleaseName(pf.release) + ", before its deploy",
		lint.Contract: "once " + p.ReleaseName(pf.release+1) + " is fully rolled out",
	}[pf.phase]
	// No ';' in comments: golang-migrate's x-multi-statement splits there too.
	head := fmt.Sprintf("-- %s, step %d of %d (%s): %s.\n", p.Command, i+1, len(p.parsed), when, pf.summary)
	b.WriteString(strings.ReplaceAll(head, ";", ","))
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// Write writes the plan's files into dir, refusing to overwrite any file.
// It returns the paths written. On an error no file of the plan is left.
func (p *Plan) Write(dir string) ([]string, error) {
	var done []string
	undo := func() {
		for _, d := range done {
			os.Remove(d)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fault.Errorf(fault.Usage, "%s: %v", dir, err)
	}
	for _, f := range p.Files {
		path := filepath.Join(dir, f.Name)
		w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			undo()
			return nil, fault.Errorf(fault.Usage, "%s: %v", path, unwrap(err))
		}
		_, err = w.WriteString(f.SQL)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			undo()
			return nil, fault.Errorf(fault.Usage, "%s: %v", path, err)
		}
		done = append(done, path)
	}
	return done, nil
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Releases returns the releases the plan spans, in order (0, 1, ...).
func (p *Plan) Releases() []int {
	seen := map[int]bool{}
	for _, f := range p.Files {
		seen[f.Release] = true
		if f.Phase == lint.Contract {
			seen[f.Release+1] = true
		}
	}
	for _, c := range p.Code {
		seen[c.Release] = true
	}
	var out []int
	for r := range seen {
		out = append(out, r)
	}
	sort.Ints(out)
	return out
}
